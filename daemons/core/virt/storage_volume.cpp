#include "core/virt/storage_volume.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {

StorageVolume::StorageVolume(StorageVolumeHandle handle, std::string pool_name)
    : handle_(std::move(handle)), pool_name_(std::move(pool_name)) {
  UNIVIRT_CHECK(handle_, "a StorageVolume is built only from a successful create or lookup");
  const char* name = virStorageVolGetName(handle_.get());
  name_ = name != nullptr ? name : "";
}

util::Result<std::string> StorageVolume::path() const {
  char* path = virStorageVolGetPath(handle_.get());
  if (path == nullptr) {
    return lastError(fmt::format("reading path of volume '{}' in pool '{}'", name_, pool_name_));
  }
  return takeString(path);
}

util::Result<std::string> StorageVolume::key() const {
  // Borrowed from the volume object: not freed by the caller.
  const char* key = virStorageVolGetKey(handle_.get());
  if (key == nullptr) {
    return lastError(fmt::format("reading key of volume '{}' in pool '{}'", name_, pool_name_));
  }
  return std::string(key);
}

util::Result<StorageVolumeInfo> StorageVolume::info() const {
  virStorageVolInfo raw{};
  if (virStorageVolGetInfo(handle_.get(), &raw) < 0) {
    return lastError(fmt::format("reading info of volume '{}' in pool '{}'", name_, pool_name_));
  }
  return StorageVolumeInfo{
      .type = raw.type, .capacity_bytes = raw.capacity, .allocation_bytes = raw.allocation};
}

util::Result<std::string> StorageVolume::xml() const {
  char* xml = virStorageVolGetXMLDesc(handle_.get(), 0);
  if (xml == nullptr) {
    return lastError(fmt::format("reading XML of volume '{}' in pool '{}'", name_, pool_name_));
  }
  return takeString(xml);
}

util::Status StorageVolume::remove() {
  if (virStorageVolDelete(handle_.get(), 0) < 0) {
    return lastError(fmt::format("deleting volume '{}' in pool '{}'", name_, pool_name_));
  }
  return util::ok();
}

}  // namespace univirt::virt
