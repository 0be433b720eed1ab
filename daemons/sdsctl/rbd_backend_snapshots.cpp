// RbdBackend: snapshots of RBD disks. Internal and external snapshots are both RBD snapshots
// (<cephpool>/<disk>@<snapshot>): RBD has no overlay files, so the image itself stays current.

#include <algorithm>

#include <fmt/format.h>

#include "sdsctl/rbd_backend.h"
#include "sdsctl/rbd_names.h"

namespace univirt::sdsctl {
namespace {

util::Status checkSnapshotName(const std::string& snapshot) {
  if (auto valid = checkRbdName(snapshot, "snapshot"); !valid) {
    return valid;
  }
  if (snapshot == kRbdBaseSnapshot) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("snapshot name '{}' is reserved for the clone base of disk "
                                   "images; choose another name",
                                   snapshot)};
  }
  return util::ok();
}

util::Error noSnapshot(const PoolContext& pool, const std::string& disk,
                       const std::string& snapshot) {
  return util::Error{util::ErrorCode::NotFound,
                     fmt::format("disk '{}' in pool '{}' has no snapshot '{}' (no RBD snapshot "
                                 "'{}/{}@{}')",
                                 disk, pool.name, snapshot, pool.rbd_pool, disk, snapshot)};
}

}  // namespace

util::Result<std::vector<std::string>> RbdBackend::snapshotNames(const PoolContext& pool,
                                                                 const std::string& disk) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found.error();
  }
  std::vector<librbd::snap_info_t> snaps;
  if (int r = image.snap_list(snaps); r < 0) {
    return cephError(r, fmt::format("listing snapshots of RBD image '{}/{}'", pool.rbd_pool, disk));
  }
  std::sort(snaps.begin(), snaps.end(),
            [](const auto& lhs, const auto& rhs) { return lhs.id < rhs.id; });
  std::vector<std::string> names;
  for (const auto& snap : snaps) {
    names.push_back(snap.name);
  }
  return names;
}

util::Status RbdBackend::createInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                const std::string& snapshot) {
  if (auto valid = checkSnapshotName(snapshot); !valid) {
    return valid;
  }
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found;
  }
  bool exists = false;
  (void)image.snap_exists2(snapshot.c_str(), &exists);
  if (exists) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("disk '{}' already has a snapshot '{}'", disk, snapshot)};
  }
  if (int r = image.snap_create(snapshot.c_str()); r < 0) {
    return cephError(r, fmt::format("creating snapshot '{}/{}@{}'", pool.rbd_pool, disk, snapshot));
  }
  return util::ok();
}

util::Status RbdBackend::deleteInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                const std::string& snapshot) {
  if (auto valid = checkSnapshotName(snapshot); !valid) {
    return valid;
  }
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found;
  }
  bool exists = false;
  (void)image.snap_exists2(snapshot.c_str(), &exists);
  if (!exists) {
    return noSnapshot(pool, disk, snapshot);
  }
  bool is_protected = false;
  (void)image.snap_is_protected(snapshot.c_str(), &is_protected);
  if (is_protected) {
    return util::Error{util::ErrorCode::Conflict,
                       fmt::format("snapshot '{}' of disk '{}' is protected (clones depend on it); "
                                   "delete or flatten the clones first",
                                   snapshot, disk)};
  }
  if (int r = image.snap_remove(snapshot.c_str()); r < 0) {
    return cephError(r, fmt::format("removing snapshot '{}/{}@{}'", pool.rbd_pool, disk, snapshot));
  }
  return util::ok();
}

util::Status RbdBackend::revertInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                const std::string& snapshot) {
  if (auto valid = checkSnapshotName(snapshot); !valid) {
    return valid;
  }
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found;
  }
  bool exists = false;
  (void)image.snap_exists2(snapshot.c_str(), &exists);
  if (!exists) {
    return noSnapshot(pool, disk, snapshot);
  }
  if (int r = image.snap_rollback(snapshot.c_str()); r < 0) {
    return cephError(r, fmt::format("rolling RBD image '{}/{}' back to snapshot '{}'",
                                    pool.rbd_pool, disk, snapshot));
  }
  return util::ok();
}

util::Result<VolumeState> RbdBackend::createExternalSnapshot(const PoolContext& pool,
                                                             const std::string& disk,
                                                             const std::string& snapshot) {
  if (auto made = createInternalSnapshot(pool, disk, snapshot); !made) {
    return made.error();
  }
  return diskState(pool, disk);
}

util::Result<VolumeState> RbdBackend::revertExternalSnapshot(const PoolContext& pool,
                                                             const std::string& disk,
                                                             const std::string& snapshot) {
  if (auto valid = checkSnapshotName(snapshot); !valid) {
    return valid.error();
  }
  auto names = snapshotNames(pool, disk);
  if (!names) {
    return names.error();
  }
  const auto it = std::find(names->begin(), names->end(), snapshot);
  if (it == names->end()) {
    return noSnapshot(pool, disk, snapshot);
  }
  if (auto reverted = revertInternalSnapshot(pool, disk, snapshot); !reverted) {
    return reverted.error();
  }
  // As with overlay chains: snapshots newer than the one reverted to froze writes that are now
  // discarded, so they go too. The snapshot itself stays, on the state it froze.
  for (auto newer = std::next(it); newer != names->end(); ++newer) {
    if (*newer == kRbdBaseSnapshot) {
      continue;
    }
    if (auto removed = deleteInternalSnapshot(pool, disk, *newer); !removed) {
      return removed.error().withContext(fmt::format(
          "disk '{}' was reverted to '{}' but newer snapshot '{}' stays", disk, snapshot, *newer));
    }
  }
  return diskState(pool, disk);
}

util::Result<VolumeState> RbdBackend::deleteExternalSnapshot(const PoolContext& pool,
                                                             const std::string& disk,
                                                             const std::string& snapshot) {
  // Removing an RBD snapshot keeps every write made since: nothing to merge.
  if (auto removed = deleteInternalSnapshot(pool, disk, snapshot); !removed) {
    return removed.error();
  }
  return diskState(pool, disk);
}

}  // namespace univirt::sdsctl
