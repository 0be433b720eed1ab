// FileBackend: disk images (<pool>/<image>/<image> + config.json, as disks).

#include <fmt/format.h>

#include "sdsctl/disk_layout.h"
#include "sdsctl/file_backend.h"
#include "sdsctl/file_copy.h"

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

util::Result<VolumeState> FileBackend::fillImage(
    const PoolContext& target, const std::string& image,
    const std::function<util::Status(const fs::path& file)>& write) {
  auto file = newVolumeFile(target, image, "disk image");
  if (!file) {
    return file.error();
  }
  auto fail = [&](const util::Error& error) -> util::Result<VolumeState> {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return error.withContext(fmt::format("creating disk image '{}'", image));
  };
  if (auto written = write(*file); !written) {
    return fail(written.error());
  }
  auto state = finishVolume(target, image, *file);
  if (!state) {
    return fail(state.error());
  }
  return state;
}

util::Result<VolumeState> FileBackend::copyInImage(const PoolContext& target,
                                                   const std::string& image,
                                                   const fs::path& source) {
  auto state = fillImage(target, image, [&](const fs::path& file) -> util::Status {
    auto copied = copyFileNoReplace(source, file.parent_path(), image);
    if (!copied) {
      return copied.error().withContext(fmt::format("copying '{}'", source.string()));
    }
    return util::ok();
  });
  if (state && !state->backing_file.empty()) {
    std::error_code ignored;
    fs::remove_all(state->dir, ignored);
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("copying '{}' as disk image '{}' is refused: the image has a "
                                   "backing file '{}'; only self-contained images are accepted",
                                   source.string(), image, state->backing_file)};
  }
  return state;
}

}  // namespace univirt::sdsctl
