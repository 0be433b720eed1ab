// RbdBackend: disk images (RBD images with a protected `univirt-base` snapshot) and disks made
// from them (clones of that snapshot, or flat copies), and imports of image files.

#include <fmt/format.h>

#include "sdsctl/rbd_backend.h"
#include "sdsctl/rbd_file_copy.h"
#include "sdsctl/rbd_names.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

std::string specOf(const PoolContext& pool, const std::string& name) {
  return fmt::format("{}/{}", pool.rbd_pool, name);
}

}  // namespace

util::Status RbdBackend::importFile(const PoolContext& target, const std::string& name,
                                    const fs::path& source) {
  // A raw file goes through librbd (sparse, no qemu-img process); any other format needs
  // qemu-img to read it.
  auto info = qemu_img_.info(source.string());
  if (info && info->format == "raw") {
    return importRawFile(target, name, source);
  }
  auto made =
      qemu_img_.convert(source.string(), qemuRbdTarget(settings_, target.rbd_pool, name), "raw");
  if (!made) {
    return made.error().withContext(
        fmt::format("importing '{}' into RBD image '{}' (qemu-img needs Debian's "
                    "qemu-block-extra for rbd:)",
                    source.string(), specOf(target, name)));
  }
  return util::ok();
}

util::Status RbdBackend::importRawFile(const PoolContext& target, const std::string& name,
                                       const fs::path& source) {
  std::error_code error;
  const auto bytes = fs::file_size(source, error);
  if (error) {
    return util::Error{util::ErrorCode::NotFound, fmt::format("cannot read the size of '{}': {}",
                                                              source.string(), error.message())};
  }
  auto opened = io(target);
  if (!opened) {
    return opened.error();
  }
  librbd::RBD rbd;
  librbd::ImageOptions options;  // the cluster's rbd defaults, as createDisk
  if (int r = rbd.create4(*opened, name.c_str(), bytes, options); r < 0) {
    return cephError(r, fmt::format("creating RBD image '{}'", specOf(target, name)));
  }
  util::Status done;
  {
    librbd::Image image;
    if (int r = rbd.open(*opened, image, name.c_str()); r < 0) {
      done = cephError(r, fmt::format("opening RBD image '{}'", specOf(target, name)));
    } else if (auto copied = importFileToRbd(source, image, specOf(target, name)); !copied) {
      done = copied.error().withContext(fmt::format("importing '{}'", source.string()));
    }
  }
  if (!done) {
    (void)rbd.remove(*opened, name.c_str());
  }
  return done;
}

util::Status RbdBackend::exportToFile(const PoolContext& pool, const std::string& name,
                                      std::string_view kind, const fs::path& file) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, name, kind, image); !found) {
    return found;
  }
  auto copied = exportRbdToFile(image, specOf(pool, name), file);
  if (!copied) {
    return copied.error();
  }
  return util::ok();
}

util::Status RbdBackend::makeBase(librados::IoCtx& io, const PoolContext& pool,
                                  const std::string& name) {
  librbd::RBD rbd;
  librbd::Image image;
  if (int r = rbd.open(io, image, name.c_str()); r < 0) {
    return cephError(r, fmt::format("opening RBD image '{}'", specOf(pool, name)));
  }
  bool exists = false;
  (void)image.snap_exists2(kRbdBaseSnapshot, &exists);
  if (!exists) {
    if (int r = image.snap_create(kRbdBaseSnapshot); r < 0) {
      return cephError(
          r, fmt::format("creating snapshot '{}@{}'", specOf(pool, name), kRbdBaseSnapshot));
    }
  }
  bool is_protected = false;
  (void)image.snap_is_protected(kRbdBaseSnapshot, &is_protected);
  if (!is_protected) {
    if (int r = image.snap_protect(kRbdBaseSnapshot); r < 0) {
      return cephError(
          r, fmt::format("protecting snapshot '{}@{}'", specOf(pool, name), kRbdBaseSnapshot));
    }
  }
  return util::ok();
}

util::Result<VolumeState> RbdBackend::createDiskFromImage(const PoolContext& target,
                                                          const std::string& disk,
                                                          const PoolContext& source_pool,
                                                          const fs::path& source, bool full_copy) {
  if (auto valid = checkRbdName(disk, "disk"); !valid) {
    return valid.error();
  }
  auto to_io = io(target);
  if (!to_io) {
    return to_io.error();
  }
  if (auto free = refuseExisting(*to_io, target, disk, "disk"); !free) {
    return free.error();
  }
  if (source_pool.type != PoolType::CephRbd) {
    if (!full_copy) {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("disk '{}' in cephrbd pool '{}' cannot be an overlay of the "
                                     "file '{}'; request full-copy to import the file",
                                     disk, target.name, source.string())};
    }
    if (auto imported = importFile(target, disk, source); !imported) {
      return imported.error();
    }
  } else {
    const std::string image_name = source.string();
    auto from_io = io(source_pool);
    if (!from_io) {
      return from_io.error();
    }
    {
      librbd::Image image;
      if (auto found = open(*from_io, source_pool, image_name, "image", image); !found) {
        return found.error();
      }
    }
    if (full_copy) {
      if (auto copied = copyImage(*from_io, source_pool, image_name, *to_io, target, disk);
          !copied) {
        return copied.error();
      }
    } else {
      if (auto based = makeBase(*from_io, source_pool, image_name); !based) {
        return based.error();
      }
      librbd::RBD rbd;
      librbd::ImageOptions options;
      if (int r = rbd.clone3(*from_io, image_name.c_str(), kRbdBaseSnapshot, *to_io, disk.c_str(),
                             options);
          r < 0) {
        return cephError(
            r, fmt::format("cloning '{}@{}' to RBD image '{}'", specOf(source_pool, image_name),
                           kRbdBaseSnapshot, specOf(target, disk)));
      }
    }
  }
  if (auto tagged = tag(*to_io, target, disk, "disk"); !tagged) {
    return tagged.error();
  }
  return stateOf(target, *to_io, disk);
}

util::Result<VolumeState> RbdBackend::createImage(const PoolContext& target,
                                                  const std::string& image,
                                                  const PoolContext& source_pool,
                                                  const fs::path& source,
                                                  const std::string& image_type) {
  (void)image_type;  // qcow2 and iso both become raw RBD images (an ISO is raw already)
  if (auto valid = checkRbdName(image, "disk image"); !valid) {
    return valid.error();
  }
  auto to_io = io(target);
  if (!to_io) {
    return to_io.error();
  }
  if (auto free = refuseExisting(*to_io, target, image, "disk image"); !free) {
    return free.error();
  }
  if (source_pool.type == PoolType::CephRbd) {
    auto from_io = io(source_pool);
    if (!from_io) {
      return from_io.error();
    }
    if (auto copied = copyImage(*from_io, source_pool, source.string(), *to_io, target, image);
        !copied) {
      return copied.error();
    }
  } else if (auto imported = importFile(target, image, source); !imported) {
    return imported.error();
  }
  if (auto tagged = tag(*to_io, target, image, "image"); !tagged) {
    return tagged.error();
  }
  if (auto based = makeBase(*to_io, target, image); !based) {
    return based.error();
  }
  return stateOf(target, *to_io, image);
}

util::Result<VolumeState> RbdBackend::createImageFromDisk(const PoolContext& source_pool,
                                                          const std::string& disk,
                                                          const PoolContext& target,
                                                          const std::string& image) {
  auto from_io = io(source_pool);
  if (!from_io) {
    return from_io.error();
  }
  {
    librbd::Image opened;
    if (auto found = open(*from_io, source_pool, disk, "disk", opened); !found) {
      return found.error();
    }
  }
  if (target.type != PoolType::CephRbd) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk image '{}' from RBD disk '{}' must go to a cephrbd pool; "
                                   "'{}' is not one",
                                   image, disk, target.name)};
  }
  // The disk is the source: copy it (flattened) like an RBD-to-RBD import.
  if (auto valid = checkRbdName(image, "disk image"); !valid) {
    return valid.error();
  }
  auto to_io = io(target);
  if (!to_io) {
    return to_io.error();
  }
  if (auto free = refuseExisting(*to_io, target, image, "disk image"); !free) {
    return free.error();
  }
  if (auto copied = copyImage(*from_io, source_pool, disk, *to_io, target, image); !copied) {
    return copied.error();
  }
  if (auto tagged = tag(*to_io, target, image, "image"); !tagged) {
    return tagged.error();
  }
  if (auto based = makeBase(*to_io, target, image); !based) {
    return based.error();
  }
  return stateOf(target, *to_io, image);
}

util::Status RbdBackend::deleteImage(const PoolContext& pool, const std::string& image) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  return removeImage(*opened, pool, image, "image");
}

}  // namespace univirt::sdsctl
