// FileBackend: disk images (<pool>/<image>/<image> + config.json, as disks).

#include <fmt/format.h>

#include "sdsctl/disk_layout.h"
#include "sdsctl/file_backend.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;

util::Result<VolumeState> FileBackend::createImage(const PoolContext& target,
                                                   const std::string& image,
                                                   const PoolContext& source_pool,
                                                   const fs::path& source,
                                                   const std::string& image_type) {
  if (isMountedType(source_pool.type)) {
    if (auto usable = checkStorage(source_pool); !usable) {
      return usable.error();
    }
  }
  auto file = newVolumeFile(target, image, "disk image");
  if (!file) {
    return file.error();
  }
  util::Status made;
  if (image_type == "iso") {
    std::error_code error;
    fs::copy_file(source, *file, fs::copy_options::none, error);
    if (error) {
      made = util::Error{util::ErrorCode::Internal,
                         fmt::format("cannot copy '{}' to '{}': {}", source.string(),
                                     file->string(), error.message())};
    }
  } else {
    made = qemu_img_.convert(source.string(), file->string(), "qcow2");
  }
  if (!made) {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return made.error().withContext(fmt::format("creating disk image '{}'", image));
  }
  return finishVolume(target, image, *file);
}

util::Result<VolumeState> FileBackend::createImageFromDisk(const PoolContext& source_pool,
                                                           const std::string& disk,
                                                           const PoolContext& target,
                                                           const std::string& image) {
  auto source = diskState(source_pool, disk);
  if (!source) {
    return source.error();
  }
  auto file = newVolumeFile(target, image, "disk image");
  if (!file) {
    return file.error();
  }
  // A flattened copy of the whole chain: the image must not depend on the disk's files.
  if (auto copied = qemu_img_.convert(source->current.string(), file->string(), "qcow2"); !copied) {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return copied.error().withContext(
        fmt::format("creating disk image '{}' from disk '{}'", image, disk));
  }
  return finishVolume(target, image, *file);
}

util::Status FileBackend::deleteImage(const PoolContext& pool, const std::string& image) {
  return removeVolumeDir(pool, image, "disk image");
}

}  // namespace univirt::sdsctl
