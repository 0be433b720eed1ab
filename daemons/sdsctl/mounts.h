#pragma once

// Mount checks for the pool types that live on a shared file system (cephfs, nfs). sdsctl
// never mounts anything itself: the node's operator (or its fstab/automount) does; a pool is
// only defined and used while its directory is that mount, so a missing mount is an error and
// never silently becomes a write into the local directory underneath.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::sdsctl {

struct MountEntry {
  std::filesystem::path mount_point = {};
  std::string fs_type = {};  // "ceph", "nfs4", "tmpfs", …
  std::string source = {};
};

// The mount whose mount point is the longest prefix of `path` (from /proc/self/mountinfo).
util::Result<MountEntry> mountOf(const std::filesystem::path& path,
                                 const std::string& mountinfo = "/proc/self/mountinfo");

// ok() when `dir` (canonical) is itself a mount point whose file system type is one of
// `fs_types`; else a FailedPrecondition-style InvalidArgument/Unavailable naming what to mount.
util::Status checkMounted(const std::filesystem::path& dir,
                          const std::vector<std::string>& fs_types, std::string_view pool_type,
                          std::string_view pool,
                          const std::string& mountinfo = "/proc/self/mountinfo");

}  // namespace univirt::sdsctl
