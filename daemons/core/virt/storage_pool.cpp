#include "core/virt/storage_pool.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {

StoragePool::StoragePool(StoragePoolHandle handle) : handle_(std::move(handle)) {
  UNIVIRT_CHECK(handle_, "a StoragePool is built only from a successful lookup or define");
  const char* name = virStoragePoolGetName(handle_.get());
  name_ = name != nullptr ? name : "";
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virStoragePoolGetUUIDString(handle_.get(), uuid) == 0) {
    uuid_ = uuid;
  }
}

util::Result<StoragePoolInfo> StoragePool::info() const {
  virStoragePoolInfo raw{};
  if (virStoragePoolGetInfo(handle_.get(), &raw) < 0) {
    return lastError(fmt::format("reading info of storage pool '{}'", name_));
  }
  return StoragePoolInfo{.active = raw.state == VIR_STORAGE_POOL_RUNNING,
                         .capacity_bytes = raw.capacity,
                         .allocation_bytes = raw.allocation,
                         .available_bytes = raw.available};
}

util::Result<bool> StoragePool::isActive() const {
  int active = virStoragePoolIsActive(handle_.get());
  if (active < 0) {
    return lastError(fmt::format("checking whether storage pool '{}' is active", name_));
  }
  return active == 1;
}

util::Result<std::string> StoragePool::xml(unsigned int flags) const {
  char* xml = virStoragePoolGetXMLDesc(handle_.get(), flags);
  if (xml == nullptr) {
    return lastError(fmt::format("reading XML of storage pool '{}'", name_));
  }
  return takeString(xml);
}

util::Status StoragePool::start() {
  if (virStoragePoolCreate(handle_.get(), 0) < 0) {
    return lastError(fmt::format("starting storage pool '{}'", name_));
  }
  return util::ok();
}

util::Status StoragePool::destroy() {
  if (virStoragePoolDestroy(handle_.get()) < 0) {
    return lastError(fmt::format("stopping storage pool '{}'", name_));
  }
  return util::ok();
}

util::Status StoragePool::undefine() {
  if (virStoragePoolUndefine(handle_.get()) < 0) {
    return lastError(fmt::format("undefining storage pool '{}'", name_));
  }
  return util::ok();
}

util::Status StoragePool::refresh() {
  if (virStoragePoolRefresh(handle_.get(), 0) < 0) {
    return lastError(fmt::format("refreshing storage pool '{}'", name_));
  }
  return util::ok();
}

util::Result<StorageVolume> StoragePool::lookupVolume(const std::string& name) const {
  StorageVolumeHandle volume(virStorageVolLookupByName(handle_.get(), name.c_str()));
  if (!volume) {
    return lastError(fmt::format("looking up volume '{}' in pool '{}'", name, name_));
  }
  return StorageVolume(std::move(volume), name_);
}

util::Result<std::vector<StorageVolume>> StoragePool::listAllVolumes() const {
  virStorageVolPtr* raw = nullptr;
  int count = virStoragePoolListAllVolumes(handle_.get(), &raw, 0);
  if (count < 0) {
    return lastError(fmt::format("listing volumes of storage pool '{}'", name_));
  }
  std::vector<StorageVolume> volumes;
  for (StorageVolumeHandle& handle : takeArray<StorageVolumeHandle>(raw, count)) {
    volumes.emplace_back(std::move(handle), name_);
  }
  return volumes;
}

util::Result<StorageVolume> StoragePool::createVolume(const std::string& xml, unsigned int flags) {
  StorageVolumeHandle volume(virStorageVolCreateXML(handle_.get(), xml.c_str(), flags));
  if (!volume) {
    return lastError(fmt::format("creating a volume in storage pool '{}'", name_));
  }
  return StorageVolume(std::move(volume), name_);
}

}  // namespace univirt::virt
