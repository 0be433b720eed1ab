#pragma once

// Storage: the sdsctl library. One object per node that carries out every storage operation of
// crd-contract §3.2–§3.5 — pools through libvirt (a VirtualMachinePool is a libvirt storage
// pool of the same name), disks, images and snapshots through the pool type's StorageBackend —
// and returns what the resource's .spec reports afterwards. The daemon's operation rows
// (storage_operations.h) and the univirt-sdsctl CLI both call it.
//
// Safety, before anything changes on disk: names are single path components, every path is
// resolved inside its pool without following symbolic links (pool_path.h), a disk a defined
// domain uses is never deleted or changed offline, capacities are parsed strictly
// (capacity.h), a shared-file-system pool is used only while it is mounted (mounts.h).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "core/virt/connection.h"
#include "sdsctl/file_backend.h"
#include "sdsctl/rbd_settings.h"
#include "sdsctl/storage_backend.h"

namespace univirt::sdsctl {

using ConnectionProvider = std::function<util::Result<std::shared_ptr<virt::Connection>>()>;

class RbdStorage;

struct StorageSettings {
  FileBackendSettings file;
  RbdSettings rbd;  // the Ceph cluster of cephrbd pools
  // Directories outside every pool from which createDiskImage / createDiskFromDiskImage may
  // read a source file (ISOs, downloaded images). Empty: sources must lie inside a pool.
  std::vector<std::string> path_roots = {};
};

struct CreatePoolRequest {
  std::string name = {};
  std::string type = {};  // localfs, dir, cephfs, nfs, cephrbd
  std::string url = {};
  std::string content = {};  // written to <url>/content when given
  bool autostart = false;
  std::string source_host = {};  // recorded in .spec.pool (shared file systems)
  std::string source_path = {};
  std::string source_name = {};
};

struct PoolState {
  std::string name = {};
  std::string type = {};
  std::string url = {};
  std::string content = {};
  bool autostart = false;
  bool active = false;
  std::uint64_t capacity = 0;
  std::uint64_t allocation = 0;
  std::uint64_t available = 0;

  // Upstream's .spec.pool: type, url, content, state, autostart, capacity …
  nlohmann::json toSpec() const;
};

// A domain that has a file of a disk in its definition.
struct DiskUser {
  std::string domain = {};
  std::string target = {};  // vda
  std::string file = {};
  bool active = false;
};

// What an upload did.
struct HubCopy {
  std::filesystem::path file = {};  // the copy in the hub
  std::uint64_t bytes = 0;
  bool already_there = false;  // an identical file had the name; nothing was written
};

// .spec.volume of a VirtualMachineDisk / DiskImage from a VolumeState.
nlohmann::json volumeSpec(const VolumeState& state, std::string_view type);

class Storage {
 public:
  explicit Storage(ConnectionProvider connect, StorageSettings settings = {});

  // Pools.
  util::Result<PoolState> createPool(const CreatePoolRequest& request);
  // Stops and undefines the pool, removes its content marker and its directory when nothing
  // else is left in it. A pool that still holds disks or images is refused.
  util::Status deletePool(const std::string& name, const std::string& type);
  util::Result<PoolState> startPool(const std::string& name, const std::string& type);
  util::Result<PoolState> stopPool(const std::string& name, const std::string& type);
  util::Result<PoolState> setPoolAutostart(const std::string& name, const std::string& type,
                                           bool autostart);
  util::Result<PoolState> poolState(const std::string& name);

  // Disks.
  util::Result<VolumeState> createDisk(const std::string& pool, const std::string& type,
                                       const std::string& disk, const std::string& capacity,
                                       const std::string& format);
  util::Result<VolumeState> resizeDisk(const std::string& pool, const std::string& type,
                                       const std::string& disk, const std::string& capacity);
  util::Result<VolumeState> cloneDisk(const std::string& pool, const std::string& type,
                                      const std::string& disk, const std::string& new_disk,
                                      const std::string& format);
  util::Status deleteDisk(const std::string& pool, const std::string& type,
                          const std::string& disk);
  util::Result<VolumeState> createDiskFromImage(const std::string& target_pool,
                                                const std::string& type, const std::string& disk,
                                                const std::string& source, bool full_copy);
  util::Result<VolumeState> diskState(const std::string& pool, const std::string& type,
                                      const std::string& disk);

  enum class SnapshotAction { Create, Delete, Revert };
  util::Status internalSnapshot(SnapshotAction action, const std::string& pool,
                                const std::string& type, const std::string& disk,
                                const std::string& snapshot);

  // Disk images.
  util::Result<VolumeState> createImage(const std::string& target_pool, const std::string& type,
                                        const std::string& image, const std::string& source,
                                        const std::string& image_type);
  util::Result<VolumeState> createImageFromDisk(const std::string& source_pool,
                                                const std::string& disk,
                                                const std::string& target_pool,
                                                const std::string& type, const std::string& image);
  util::Status deleteImage(const std::string& pool, const std::string& type,
                           const std::string& image);

  // Image hub transfers (upstream's uploadDiskImage / downloadDiskImage; storage_hub.cpp).
  // `hub` is the hub type: `nfs` — a directory under a configured path root on an NFS mount
  // (settings.file.mount_fs_types[Nfs]) — or `cephrgw`, which univirt does not support.
  // Upload copies the image's file to <target_dir>/<image> (an identical file already there
  // is fine, a different one is never overwritten); download copies `source_file` in as the
  // new image <pool>/<image>/<image>. `pool_type` is the image pool's type (empty: localfs).
  util::Result<HubCopy> uploadImage(const std::string& pool, const std::string& pool_type,
                                    const std::string& image, const std::string& hub,
                                    const std::string& target_dir);
  util::Result<VolumeState> downloadImage(const std::string& pool, const std::string& pool_type,
                                          const std::string& image, const std::string& hub,
                                          const std::string& source_file);

  // External snapshots. Create runs live through libvirt (a disk-only snapshot) when a running
  // domain has the disk; revert and delete need the domain stopped.
  util::Result<VolumeState> externalSnapshot(SnapshotAction action, const std::string& pool,
                                             const std::string& type, const std::string& disk,
                                             const std::string& snapshot);

  // Every defined domain with a file of `dir` (a disk's directory) in its definition.
  util::Result<std::vector<DiskUser>> usersOf(const std::filesystem::path& dir);

 private:
  util::Result<StorageBackend*> backendFor(PoolType type);
  // The pool `name` as libvirt defines it, active, with its storage checked.
  util::Result<PoolContext> openPool(const std::string& name, const std::string& type);
  // A source file named by absolute path: inside some pool, or inside a path root.
  util::Result<std::pair<PoolContext, std::filesystem::path>> resolveSource(
      const std::string& path);
  // A hub path (`what`: "target-path", "source-path") under a path root on an NFS mount.
  util::Result<std::filesystem::path> resolveHubPath(const std::string& path,
                                                     std::string_view what);
  util::Status refuseIfUsed(const PoolContext& pool, const std::string& disk,
                            std::string_view doing, bool only_running);
  // Points a stopped domain's definition from the disk's old current file to `current`.
  util::Status retargetDisk(const DiskUser& user, const std::filesystem::path& current);
  util::Result<VolumeState> createLiveSnapshot(const PoolContext& pool, const std::string& disk,
                                               const std::string& snapshot, const DiskUser& user);

  ConnectionProvider connect_;
  StorageSettings settings_;
  FileBackend file_backend_;
  std::shared_ptr<RbdStorage> rbd_;  // cephrbd pools (rbd_storage.h)
};

}  // namespace univirt::sdsctl
