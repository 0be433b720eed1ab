#pragma once

// RbdStorage: Storage's half for `cephrbd` pools. A cephrbd VirtualMachinePool is a libvirt
// `rbd` storage pool of the same name (needs libvirt's rbd storage driver, Debian's
// libvirt-daemon-driver-storage-rbd, in libvirtd) over one Ceph pool; disks, images and
// snapshots are made with librbd in process (RbdBackend). Storage hands every request for a
// cephrbd pool here — also requests that name no or another type (the finalizer's delete
// requests), when libvirt says the pool is an rbd pool.
//
// Safety as for directory pools: names are checked strictly (rbd_names.h), a disk a defined
// domain has (<source protocol='rbd' name='<cephpool>/<disk>'>) is never deleted, and one a
// running domain has is never resized, cloned, copied, reverted or snapshotted internally.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sdsctl/rbd_backend.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {

class RbdStorage {
 public:
  RbdStorage(ConnectionProvider connect, RbdSettings settings);

  // True when the request is for a cephrbd pool: `type` says so, or libvirt's pool `pool` is
  // an rbd pool whatever `type` says (the finalizer's delete requests name no type, and
  // deletePool's rows default it to localfs).
  bool handles(const std::string& pool, const std::string& type);

  util::Result<PoolState> createPool(const CreatePoolRequest& request);
  // Refused while the Ceph pool still holds RBD images; the Ceph pool itself stays.
  util::Status deletePool(const std::string& name);
  util::Result<PoolState> startPool(const std::string& name);
  util::Result<PoolState> stopPool(const std::string& name);
  util::Result<PoolState> setPoolAutostart(const std::string& name, bool autostart);
  util::Result<PoolState> poolState(const std::string& name);

  util::Result<VolumeState> createDisk(const std::string& pool, const std::string& disk,
                                       std::uint64_t bytes, const std::string& format);
  util::Result<VolumeState> resizeDisk(const std::string& pool, const std::string& disk,
                                       std::uint64_t bytes);
  util::Result<VolumeState> cloneDisk(const std::string& pool, const std::string& disk,
                                      const std::string& new_disk, const std::string& format);
  util::Status deleteDisk(const std::string& pool, const std::string& disk);
  // `source` is an RBD image spec (`<cephpool>/<image>`): cloned (or copied with full_copy).
  util::Result<VolumeState> createDiskFromRbdImage(const std::string& target_pool,
                                                   const std::string& disk,
                                                   const std::string& source, bool full_copy);
  // A file Storage resolved inside a directory pool or path root: imported (full copy).
  util::Result<VolumeState> createDiskFromFile(const std::string& target_pool,
                                               const std::string& disk,
                                               const PoolContext& source_pool,
                                               const std::filesystem::path& source, bool full_copy);
  util::Result<VolumeState> diskState(const std::string& pool, const std::string& disk);
  util::Status internalSnapshot(Storage::SnapshotAction action, const std::string& pool,
                                const std::string& disk, const std::string& snapshot);

  util::Result<VolumeState> createImageFromRbd(const std::string& target_pool,
                                               const std::string& image, const std::string& source);
  util::Result<VolumeState> createImageFromFile(const std::string& target_pool,
                                                const std::string& image,
                                                const PoolContext& source_pool,
                                                const std::filesystem::path& source,
                                                const std::string& image_type);
  // The RBD disk `disk` as the new raw file `file` (createDiskImageFromDisk into a directory
  // pool); refused while a running domain has the disk.
  util::Status exportDisk(const std::string& source_pool, const std::string& disk,
                          const std::filesystem::path& file);
  util::Result<VolumeState> createImageFromDisk(const std::string& source_pool,
                                                const std::string& disk,
                                                const std::string& target_pool,
                                                const std::string& image);
  util::Status deleteImage(const std::string& pool, const std::string& image);

  // Create works while a VM runs on the disk (an RBD snapshot is crash-consistent); revert
  // needs it stopped.
  util::Result<VolumeState> externalSnapshot(Storage::SnapshotAction action,
                                             const std::string& pool, const std::string& disk,
                                             const std::string& snapshot);

  // Every defined domain with RBD image `<cephpool>/<image>` (or a snapshot of it) as a disk.
  util::Result<std::vector<DiskUser>> usersOf(const std::string& spec);

  RbdBackend& backend() { return backend_; }

 private:
  // The libvirt rbd pool `name`, active, its Ceph pool reachable.
  util::Result<PoolContext> openPool(const std::string& name);
  // The Ceph pool of libvirt pool `name` (from its <source><name>); NotFound when undefined.
  util::Result<std::pair<virt::StoragePool, std::string>> lookup(const std::string& name);
  util::Status refuseIfUsed(const PoolContext& pool, const std::string& disk,
                            std::string_view doing, bool only_running);

  ConnectionProvider connect_;
  RbdBackend backend_;
};

}  // namespace univirt::sdsctl
