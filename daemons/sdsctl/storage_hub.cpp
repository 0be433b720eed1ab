// Storage: disk images to and from an image hub (upstream's uploadDiskImage and
// downloadDiskImage, sdsctl/pkg/cmds/image/{upload,download}_disk_image.go). Upstream's `nfs`
// hub is a directory on the node where an NFS share is mounted: upload copies
// <pool>/<image>/<image> to <target-path>/<image>, download copies <source-path> to
// <pool>/<image>/<image>. Here the hub directory must also lie under a configured path root
// (the same roots the operation table checks), no component below the root may be a symbolic
// link, and nothing is overwritten. Upstream's `cephrgw` hub (an S3 bucket of a Rook RGW) is
// not supported.

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sdsctl/disk_layout.h"
#include "sdsctl/file_copy.h"
#include "sdsctl/mounts.h"
#include "sdsctl/pool_path.h"
#include "sdsctl/rbd_storage.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

util::Status checkHub(const std::string& hub, std::string_view operation) {
  if (hub == "nfs") {
    return util::ok();
  }
  if (hub == "cephrgw") {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} with type 'cephrgw' (a Ceph RGW S3 bucket) is not "
                                   "supported by univirt; use type 'nfs' with a directory on an "
                                   "NFS mount",
                                   operation)};
  }
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("{} needs type 'nfs' or 'cephrgw', not '{}'", operation, hub)};
}

}  // namespace

util::Result<fs::path> Storage::resolveHubPath(const std::string& path, std::string_view what) {
  const fs::path given(path);
  if (!given.is_absolute()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} '{}' is refused: it is not an absolute path", what, path)};
  }
  for (const auto& part : given) {
    if (part == "..") {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("{} '{}' is refused: it contains '..'", what, path)};
    }
  }
  const fs::path normal = given.lexically_normal();
  for (const auto& root_text : settings_.path_roots) {
    std::error_code error;
    const fs::path root = fs::weakly_canonical(root_text, error);
    if (error || !isInside(root, normal)) {
      continue;
    }
    // The root itself (a share mounted right at a path root) needs no component checks.
    auto checked = normal == root ? util::Result<fs::path>(root)
                                  : checkUserPathInPool(root, normal.string(), root_text);
    if (!checked) {
      return checked.error().withContext(what);
    }
    auto mount = mountOf(*checked, settings_.file.mountinfo);
    if (!mount) {
      return mount.error();
    }
    const auto types = settings_.file.mount_fs_types.find(PoolType::Nfs);
    const std::vector<std::string> accepted =
        types != settings_.file.mount_fs_types.end() ? types->second : std::vector<std::string>{};
    if (std::find(accepted.begin(), accepted.end(), mount->fs_type) == accepted.end()) {
      return util::Error{
          util::ErrorCode::InvalidArgument,
          fmt::format("{} '{}' is on '{}', a '{}' mount, not an NFS share (type {}); mount the "
                      "share there first (sdsctl never mounts it)",
                      what, path, mount->mount_point.string(), mount->fs_type,
                      fmt::join(accepted, " or "))};
    }
    return *checked;
  }
  return util::Error{
      util::ErrorCode::InvalidArgument,
      fmt::format("{} '{}' is refused: it lies under no configured path root", what, path)};
}

util::Result<HubCopy> Storage::uploadImage(const std::string& pool, const std::string& pool_type,
                                           const std::string& image, const std::string& hub,
                                           const std::string& target_dir) {
  if (auto known = checkHub(hub, "uploadDiskImage"); !known) {
    return known.error();
  }
  if (rbd_->handles(pool, pool_type)) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("uploadDiskImage of image '{}' is refused: pool '{}' is a "
                                   "cephrbd pool; only images in directory pools can be uploaded",
                                   image, pool)};
  }
  auto context = openPool(pool, pool_type);
  if (!context) {
    return context.error();
  }
  auto config = readDiskConfig(*context, image, "disk image");
  if (!config) {
    return config.error();
  }
  auto target = resolveHubPath(target_dir, "target-path");
  if (!target) {
    return target.error();
  }
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(*target, error))) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("target-path '{}' is not a directory", target_dir)};
  }
  // Upstream copies <pool>/<image>/<image>; config.json's current is that file for an image.
  auto copied = copyFileNoReplace(config->current, *target, image);
  if (!copied) {
    return copied.error().withContext(fmt::format("uploading disk image '{}'", image));
  }
  return HubCopy{.file = *target / image,
                 .bytes = copied->bytes,
                 .already_there = copied->result == CopyResult::AlreadyThere};
}

util::Result<VolumeState> Storage::downloadImage(const std::string& pool,
                                                 const std::string& pool_type,
                                                 const std::string& image, const std::string& hub,
                                                 const std::string& source_file) {
  if (auto known = checkHub(hub, "downloadDiskImage"); !known) {
    return known.error();
  }
  if (rbd_->handles(pool, pool_type)) {
    return util::Error{
        util::ErrorCode::InvalidArgument,
        fmt::format("downloadDiskImage into pool '{}' is refused: it is a cephrbd pool; use "
                    "createDiskImage with source '{}' to import the file into it",
                    pool, source_file)};
  }
  auto context = openPool(pool, pool_type);
  if (!context) {
    return context.error();
  }
  auto source = resolveHubPath(source_file, "source-path");
  if (!source) {
    return source.error();
  }
  return file_backend_.copyInImage(*context, image, *source);
}

}  // namespace univirt::sdsctl
