#pragma once

// What one pool type must implement. Storage (storage.h) looks the pool up in libvirt, picks
// the backend for the request's `type` and calls it; the backend does the type's work.
// FileBackend (file_backend.h) serves every directory-backed type (localfs/dir, cephfs, nfs);
// RbdBackend (rbd_backend.h) serves cephrbd over librbd/librados (its disks are RBD images, its
// snapshots RBD snapshots, its clones clones of protected snapshots).

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "sdsctl/pool_type.h"

namespace univirt::sdsctl {

// A pool as a request names it, resolved on this node.
struct PoolContext {
  std::string name = {};  // libvirt pool name = the VirtualMachinePool's name
  PoolType type = PoolType::Dir;
  std::filesystem::path root = {};  // canonical pool directory (directory-backed types)
  std::string rbd_pool = {};        // the Ceph pool (cephrbd)
};

// A disk, disk image or snapshot file after an operation: what .spec.volume reports.
struct VolumeState {
  std::string pool = {};
  std::string name = {};
  std::filesystem::path dir = {};      // <pool>/<name>
  std::filesystem::path current = {};  // the file a domain opens (top of the overlay chain)
  std::string format = {};             // "qcow2", "raw", "iso"
  std::uint64_t virtual_size = 0;
  std::uint64_t actual_size = 0;
  std::string backing_file = {};  // full path of current's backing file; empty: none
};

// The file a new pool needs before libvirt defines it.
struct PoolRequest {
  std::string name = {};
  PoolType type = PoolType::Dir;
  std::string url = {};
};

class StorageBackend {
 public:
  virtual ~StorageBackend() = default;

  // Pools. prepare: checks (and for local dirs creates) the storage behind a new pool and
  // returns the libvirt <pool> XML to define. checkStorage: before any operation on an
  // existing pool (a shared mount still present).
  virtual util::Result<std::string> preparePool(const PoolRequest& request) = 0;
  virtual util::Status checkStorage(const PoolContext& pool) = 0;

  // Disks (<pool>/<disk>/<disk> + config.json).
  virtual util::Result<VolumeState> createDisk(const PoolContext& pool, const std::string& disk,
                                               std::uint64_t bytes, const std::string& format) = 0;
  virtual util::Result<VolumeState> resizeDisk(const PoolContext& pool, const std::string& disk,
                                               std::uint64_t bytes) = 0;
  virtual util::Result<VolumeState> cloneDisk(const PoolContext& pool, const std::string& disk,
                                              const std::string& new_disk,
                                              const std::string& format) = 0;
  virtual util::Status deleteDisk(const PoolContext& pool, const std::string& disk) = 0;
  // `source` is a file inside `source_pool` (an image); full copy or a qcow2 overlay of it.
  virtual util::Result<VolumeState> createDiskFromImage(const PoolContext& target,
                                                        const std::string& disk,
                                                        const PoolContext& source_pool,
                                                        const std::filesystem::path& source,
                                                        bool full_copy) = 0;
  virtual util::Result<VolumeState> diskState(const PoolContext& pool, const std::string& disk) = 0;
  // Points the disk at a new top file (external snapshots) in config.json.
  virtual util::Status setCurrent(const PoolContext& pool, const std::string& disk,
                                  const std::filesystem::path& current) = 0;

  // Internal (qcow2) snapshots of a disk's current file; the disk must not be in use.
  virtual util::Status createInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                              const std::string& snapshot) = 0;
  virtual util::Status deleteInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                              const std::string& snapshot) = 0;
  virtual util::Status revertInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                              const std::string& snapshot) = 0;

  // Disk images: a copy of a file inside a pool, or a flattened copy of a disk.
  virtual util::Result<VolumeState> createImage(const PoolContext& target, const std::string& image,
                                                const PoolContext& source_pool,
                                                const std::filesystem::path& source,
                                                const std::string& image_type) = 0;
  virtual util::Result<VolumeState> createImageFromDisk(const PoolContext& source_pool,
                                                        const std::string& disk,
                                                        const PoolContext& target,
                                                        const std::string& image) = 0;
  virtual util::Status deleteImage(const PoolContext& pool, const std::string& image) = 0;

  // External snapshots (offline): a new overlay <pool>/<disk>/<snapshot> on the disk's current
  // file becomes current; revert discards what was written since; delete merges the
  // snapshot's overlay so no data is lost.
  virtual util::Result<VolumeState> createExternalSnapshot(const PoolContext& pool,
                                                           const std::string& disk,
                                                           const std::string& snapshot) = 0;
  virtual util::Result<VolumeState> revertExternalSnapshot(const PoolContext& pool,
                                                           const std::string& disk,
                                                           const std::string& snapshot) = 0;
  virtual util::Result<VolumeState> deleteExternalSnapshot(const PoolContext& pool,
                                                           const std::string& disk,
                                                           const std::string& snapshot) = 0;
};

}  // namespace univirt::sdsctl
