// FileBackend: internal (qcow2) and external (overlay chain) snapshots of a disk.

#include <algorithm>

#include <fmt/format.h>

#include "sdsctl/disk_layout.h"
#include "sdsctl/file_backend.h"
#include "sdsctl/pool_path.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

// A chain deeper than this is a loop or a damaged image.
constexpr int kMaxChainDepth = 256;

util::Error notInChain(const std::string& disk, const std::string& snapshot) {
  return util::Error{util::ErrorCode::NotFound,
                     fmt::format("external snapshot '{}' is not in the overlay chain of disk "
                                 "'{}'; it was deleted or reverted away",
                                 snapshot, disk)};
}

}  // namespace

util::Result<std::vector<fs::path>> FileBackend::chainOf(const fs::path& dir,
                                                         const fs::path& current) {
  std::vector<fs::path> chain;
  fs::path file = current;
  for (int depth = 0; depth < kMaxChainDepth; ++depth) {
    chain.push_back(file);
    auto info = qemu_img_.info(file.string());
    if (!info) {
      return info.error();
    }
    if (info->full_backing_filename.empty()) {
      return chain;
    }
    const fs::path backing = fs::path(info->full_backing_filename).lexically_normal();
    if (!isInside(dir, backing)) {
      return chain;  // a shared image below the disk's own files: never changed here
    }
    file = backing;
  }
  return util::Error{util::ErrorCode::Internal,
                     fmt::format("the backing chain of '{}' is deeper than {} files",
                                 current.string(), kMaxChainDepth)};
}

util::Status FileBackend::createInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                 const std::string& snapshot) {
  if (auto named = checkObjectName(snapshot, "snapshot"); !named) {
    return named;
  }
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  if (state->format != "qcow2") {
    return util::Error{
        util::ErrorCode::InvalidArgument,
        fmt::format("disk '{}' is {}; internal snapshots need qcow2", disk, state->format)};
  }
  auto info = qemu_img_.info(state->current.string());
  if (!info) {
    return info.error();
  }
  if (std::find(info->snapshots.begin(), info->snapshots.end(), snapshot) !=
      info->snapshots.end()) {
    return util::Error{
        util::ErrorCode::AlreadyExists,
        fmt::format("disk '{}' already has an internal snapshot '{}'", disk, snapshot)};
  }
  return qemu_img_.snapshotCreate(state->current.string(), snapshot);
}

util::Status FileBackend::deleteInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                 const std::string& snapshot) {
  if (auto named = checkObjectName(snapshot, "snapshot"); !named) {
    return named;
  }
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  return qemu_img_.snapshotDelete(state->current.string(), snapshot);
}

util::Status FileBackend::revertInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                 const std::string& snapshot) {
  if (auto named = checkObjectName(snapshot, "snapshot"); !named) {
    return named;
  }
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  return qemu_img_.snapshotApply(state->current.string(), snapshot);
}

util::Result<VolumeState> FileBackend::createExternalSnapshot(const PoolContext& pool,
                                                              const std::string& disk,
                                                              const std::string& snapshot) {
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  if (snapshot == disk || snapshot == kConfigFile) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("snapshot name '{}' is reserved in disk '{}'", snapshot, disk)};
  }
  auto overlay = volumeFile(pool, disk, snapshot, "snapshot");
  if (!overlay) {
    return overlay.error();
  }
  std::error_code error;
  if (fs::exists(fs::symlink_status(*overlay, error))) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("snapshot '{}' of disk '{}' already exists ('{}')", snapshot,
                                   disk, overlay->string())};
  }
  if (auto made =
          qemu_img_.createOverlay(overlay->string(), state->current.string(), state->format);
      !made) {
    return made.error().withContext(fmt::format("creating snapshot '{}'", snapshot));
  }
  if (auto set = setCurrent(pool, disk, *overlay); !set) {
    return set.error();
  }
  return stateOf(pool, disk, state->dir, *overlay);
}

util::Result<VolumeState> FileBackend::revertExternalSnapshot(const PoolContext& pool,
                                                              const std::string& disk,
                                                              const std::string& snapshot) {
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  auto overlay = volumeFile(pool, disk, snapshot, "snapshot");
  if (!overlay) {
    return overlay.error();
  }
  auto chain = chainOf(state->dir, state->current);
  if (!chain) {
    return chain.error();
  }
  const auto at = std::find(chain->begin(), chain->end(), *overlay);
  if (at == chain->end() || *overlay == state->dir / disk) {
    return notInChain(disk, snapshot);
  }
  auto info = qemu_img_.info(overlay->string());
  if (!info) {
    return info.error();
  }
  const std::string backing = info->full_backing_filename;
  auto backing_info = qemu_img_.info(backing);
  if (!backing_info) {
    return backing_info.error();
  }
  // Overlays newer than the snapshot hold writes made after it: reverting discards them, and
  // the snapshot's own overlay starts empty again on the state it froze.
  // config.json is switched before the newer files go, so it never names a missing file.
  std::error_code error;
  fs::remove(*overlay, error);
  if (auto made = qemu_img_.createOverlay(overlay->string(), backing, backing_info->format);
      !made) {
    return made.error().withContext(fmt::format("reverting to snapshot '{}'", snapshot));
  }
  if (auto set = setCurrent(pool, disk, *overlay); !set) {
    return set.error();
  }
  for (auto it = chain->begin(); it != at; ++it) {
    fs::remove(*it, error);
  }
  return stateOf(pool, disk, state->dir, *overlay);
}

util::Result<VolumeState> FileBackend::deleteExternalSnapshot(const PoolContext& pool,
                                                              const std::string& disk,
                                                              const std::string& snapshot) {
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  auto overlay = volumeFile(pool, disk, snapshot, "snapshot");
  if (!overlay) {
    return overlay.error();
  }
  auto chain = chainOf(state->dir, state->current);
  if (!chain) {
    return chain.error();
  }
  const auto at = std::find(chain->begin(), chain->end(), *overlay);
  if (at == chain->end() || *overlay == state->dir / disk) {
    std::error_code error;
    if (!fs::exists(fs::symlink_status(*overlay, error))) {
      return *state;  // already gone (a revert discarded it): nothing to merge
    }
    return notInChain(disk, snapshot);
  }
  auto info = qemu_img_.info(overlay->string());
  if (!info) {
    return info.error();
  }
  const fs::path backing = info->full_backing_filename;
  fs::path current = state->current;
  if (at == chain->begin()) {
    // The snapshot's overlay is the top: merge it down; its backing file becomes current.
    if (auto merged = qemu_img_.commit(overlay->string()); !merged) {
      return merged.error().withContext(fmt::format("deleting snapshot '{}'", snapshot));
    }
    if (auto set = setCurrent(pool, disk, backing); !set) {
      return set.error();
    }
    current = backing;
  } else {
    // A newer overlay sits on it: rebase that one onto the snapshot's backing file, copying
    // the snapshot's data into it (safe mode), so nothing below changes.
    const fs::path& child = *std::prev(at);
    auto backing_info = qemu_img_.info(backing.string());
    if (!backing_info) {
      return backing_info.error();
    }
    if (auto rebased = qemu_img_.rebase(child.string(), backing.string(), backing_info->format);
        !rebased) {
      return rebased.error().withContext(fmt::format("deleting snapshot '{}'", snapshot));
    }
  }
  std::error_code error;
  fs::remove(*overlay, error);
  return stateOf(pool, disk, state->dir, current);
}

}  // namespace univirt::sdsctl
