#pragma once

// StorageVolume: one volume (disk image) of a libvirt storage pool.

#include <cstdint>
#include <string>

#include "core/util/result.h"
#include "core/virt/handles.h"

namespace univirt::virt {

struct StorageVolumeInfo {
  int type = 0;  // virStorageVolType (VIR_STORAGE_VOL_FILE, ...)
  std::uint64_t capacity_bytes = 0;
  std::uint64_t allocation_bytes = 0;
};

class StorageVolume {
 public:
  // `handle` must not be empty; `pool_name` names the owner in error messages.
  StorageVolume(StorageVolumeHandle handle, std::string pool_name);

  virStorageVolPtr get() const { return handle_.get(); }
  const std::string& name() const { return name_; }
  const std::string& poolName() const { return pool_name_; }

  // The volume's path on the host (what a domain's <disk><source file=.../> names).
  util::Result<std::string> path() const;
  // libvirt's unique key for the volume (for file volumes, its path).
  util::Result<std::string> key() const;
  util::Result<StorageVolumeInfo> info() const;
  util::Result<std::string> xml() const;

  // virStorageVolDelete: removes the volume and its data.
  util::Status remove();

 private:
  StorageVolumeHandle handle_;
  std::string name_;
  std::string pool_name_;
};

}  // namespace univirt::virt
