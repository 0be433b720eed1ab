#pragma once

// StoragePool: one libvirt storage pool and the volumes in it.

#include <cstdint>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "core/virt/handles.h"
#include "core/virt/storage_volume.h"

namespace univirt::virt {

struct StoragePoolInfo {
  bool active = false;
  std::uint64_t capacity_bytes = 0;
  std::uint64_t allocation_bytes = 0;
  std::uint64_t available_bytes = 0;
};

class StoragePool {
 public:
  // `handle` must not be empty.
  explicit StoragePool(StoragePoolHandle handle);

  virStoragePoolPtr get() const { return handle_.get(); }
  const std::string& name() const { return name_; }
  const std::string& uuid() const { return uuid_; }

  util::Result<StoragePoolInfo> info() const;
  util::Result<bool> isActive() const;
  util::Result<std::string> xml(unsigned int flags = 0) const;

  // virStoragePoolCreate: activates a defined pool.
  util::Status start();
  // virStoragePoolDestroy: deactivates the pool; its data stays.
  util::Status destroy();
  util::Status undefine();
  // Rescans the pool's backing store for volumes created outside libvirt.
  util::Status refresh();

  util::Result<StorageVolume> lookupVolume(const std::string& name) const;
  util::Result<std::vector<StorageVolume>> listAllVolumes() const;
  // virStorageVolCreateXML; `flags` are VIR_STORAGE_VOL_CREATE_*.
  util::Result<StorageVolume> createVolume(const std::string& xml, unsigned int flags = 0);

 private:
  StoragePoolHandle handle_;
  std::string name_;
  std::string uuid_;
};

}  // namespace univirt::virt
