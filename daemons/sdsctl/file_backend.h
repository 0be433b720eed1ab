#pragma once

// FileBackend: the StorageBackend of every directory-backed pool type. localfs/dir pools are
// local directories (created when missing); cephfs and nfs pools are directories that must be
// a mount of that file system, checked before every operation and never mounted here.
// Disk files are made and changed with qemu-img (argv exec); every path is checked to lie in
// its pool (pool_path.h).

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sdsctl/qemu_img.h"
#include "sdsctl/storage_backend.h"

namespace univirt::sdsctl {

struct FileBackendSettings {
  std::string qemu_img = "/usr/bin/qemu-img";
  // File system types a mounted pool type accepts (from /proc/self/mountinfo). Tests add a
  // stand-in such as "tmpfs", since no MDS or nfsd runs on the build machines.
  std::map<PoolType, std::vector<std::string>> mount_fs_types = {
      {PoolType::CephFs, {"ceph", "fuse.ceph-fuse"}},
      {PoolType::Nfs, {"nfs", "nfs4"}},
  };
  std::string mountinfo = "/proc/self/mountinfo";
};

class FileBackend final : public StorageBackend {
 public:
  explicit FileBackend(FileBackendSettings settings = {});

  util::Result<std::string> preparePool(const PoolRequest& request) override;
  util::Status checkStorage(const PoolContext& pool) override;

  util::Result<VolumeState> createDisk(const PoolContext& pool, const std::string& disk,
                                       std::uint64_t bytes, const std::string& format) override;
  util::Result<VolumeState> resizeDisk(const PoolContext& pool, const std::string& disk,
                                       std::uint64_t bytes) override;
  util::Result<VolumeState> cloneDisk(const PoolContext& pool, const std::string& disk,
                                      const std::string& new_disk,
                                      const std::string& format) override;
  util::Status deleteDisk(const PoolContext& pool, const std::string& disk) override;
  util::Result<VolumeState> createDiskFromImage(const PoolContext& target, const std::string& disk,
                                                const PoolContext& source_pool,
                                                const std::filesystem::path& source,
                                                bool full_copy) override;
  util::Result<VolumeState> diskState(const PoolContext& pool, const std::string& disk) override;
  util::Status setCurrent(const PoolContext& pool, const std::string& disk,
                          const std::filesystem::path& current) override;

  util::Status createInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                      const std::string& snapshot) override;
  util::Status deleteInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                      const std::string& snapshot) override;
  util::Status revertInternalSnapshot(const PoolContext& pool, const std::string& disk,
                                      const std::string& snapshot) override;

  util::Result<VolumeState> createImage(const PoolContext& target, const std::string& image,
                                        const PoolContext& source_pool,
                                        const std::filesystem::path& source,
                                        const std::string& image_type) override;
  util::Result<VolumeState> createImageFromDisk(const PoolContext& source_pool,
                                                const std::string& disk, const PoolContext& target,
                                                const std::string& image) override;
  util::Status deleteImage(const PoolContext& pool, const std::string& image) override;
  // downloadDiskImage: a byte-exact copy of `source` (a checked file outside the pools) as the
  // new image <pool>/<image>/<image>. An image with a backing file is refused: it would make
  // the pool depend on a file outside it.
  util::Result<VolumeState> copyInImage(const PoolContext& target, const std::string& image,
                                        const std::filesystem::path& source);
  // A new image <pool>/<image>/<image> whose file `write` creates (an export from another
  // backend); the image's directory is removed again when `write` or reading it back fails.
  util::Result<VolumeState> fillImage(
      const PoolContext& target, const std::string& image,
      const std::function<util::Status(const std::filesystem::path& file)>& write);

  util::Result<VolumeState> createExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;
  util::Result<VolumeState> revertExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;
  util::Result<VolumeState> deleteExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;

  QemuImg& qemuImg() { return qemu_img_; }

 private:
  // A new <pool>/<name>/ directory holding `file` = <name>, refused when it exists.
  util::Result<std::filesystem::path> newVolumeFile(const PoolContext& pool,
                                                    const std::string& name, std::string_view what);
  util::Result<VolumeState> finishVolume(const PoolContext& pool, const std::string& name,
                                         const std::filesystem::path& file);
  util::Result<VolumeState> stateOf(const PoolContext& pool, const std::string& name,
                                    const std::filesystem::path& dir,
                                    const std::filesystem::path& current);
  // The overlay chain of a disk, top (current) first, down to the first file outside its
  // directory (a shared image) or the end.
  util::Result<std::vector<std::filesystem::path>> chainOf(const std::filesystem::path& dir,
                                                           const std::filesystem::path& current);
  util::Status removeVolumeDir(const PoolContext& pool, const std::string& name,
                               std::string_view what);

  FileBackendSettings settings_;
  QemuImg qemu_img_;
};

}  // namespace univirt::sdsctl
