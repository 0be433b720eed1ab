#pragma once

// RbdBackend: the StorageBackend of `cephrbd` pools, over librbd/librados in process.
//   disk / disk image      an RBD image <cephpool>/<name> (raw), tagged with image metadata
//                          `univirt.kind` = disk | image so one is never deleted as the other
//   image → disk (no copy) an RBD clone of the image's protected snapshot `univirt-base`
//   internal snapshot      an RBD snapshot <cephpool>/<disk>@<snapshot>
//   external snapshot      also an RBD snapshot: RBD has no overlay files, the image stays
//                          current; revert rolls back (newer snapshots go), delete removes the
//                          snapshot (the data written since stays)
//   content marker         RBD pool metadata `univirt.content`
// `.spec.volume.current` of an RBD disk is `<cephpool>/<name>`, as libvirt names RBD volumes.

#include <memory>
#include <string>
#include <vector>

#include "sdsctl/qemu_img.h"
#include "sdsctl/rbd_cluster.h"
#include "sdsctl/storage_backend.h"

namespace univirt::sdsctl {

inline constexpr const char* kRbdBaseSnapshot = "univirt-base";
inline constexpr const char* kRbdKindKey = "univirt.kind";
inline constexpr const char* kRbdContentKey = "univirt.content";

class RbdBackend final : public StorageBackend {
 public:
  explicit RbdBackend(RbdSettings settings = {});

  // request.url is `rbd:<cephpool>`; returns libvirt's <pool type='rbd'> for it.
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
  // source_pool cephrbd: `source` is the image's name in it (clone or copy); otherwise a file
  // (full copy only: a raw file through librbd, another format with qemu-img).
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

  util::Result<VolumeState> createExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;
  util::Result<VolumeState> revertExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;
  util::Result<VolumeState> deleteExternalSnapshot(const PoolContext& pool, const std::string& disk,
                                                   const std::string& snapshot) override;

  // Pool-level pieces RbdStorage needs.
  util::Result<std::string> content(const PoolContext& pool);
  util::Status setContent(const PoolContext& pool, const std::string& content);
  util::Status removeContent(const PoolContext& pool);
  util::Result<std::vector<std::string>> imageNames(const PoolContext& pool);
  util::Result<RbdPoolUsage> usage(const PoolContext& pool);
  util::Result<std::shared_ptr<RbdCluster>> cluster();
  // The whole RBD image `name` (of `kind` "disk" or "image") as the new raw file `file`
  // (sparse; librbd reads through a clone's parent). The file is gone again on failure.
  util::Status exportToFile(const PoolContext& pool, const std::string& name, std::string_view kind,
                            const std::filesystem::path& file);
  // Image names in snapshot order of `disk`.
  util::Result<std::vector<std::string>> snapshotNames(const PoolContext& pool,
                                                       const std::string& disk);

 private:
  util::Result<librados::IoCtx> io(const PoolContext& pool);
  util::Result<VolumeState> stateOf(const PoolContext& pool, librados::IoCtx& io,
                                    const std::string& name);
  // Opens `name`, checking it is an RBD image of `kind` ("disk", "image").
  util::Status open(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                    std::string_view kind, librbd::Image& image);
  util::Status tag(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                   std::string_view kind);
  // Gives a new image its protected base snapshot (clones come from it).
  util::Status makeBase(librados::IoCtx& io, const PoolContext& pool, const std::string& name);
  util::Status copyImage(librados::IoCtx& from_io, const PoolContext& from, const std::string& name,
                         librados::IoCtx& to_io, const PoolContext& to,
                         const std::string& new_name);
  // A file as the new image `name`: raw files through librbd (importRawFile), others with
  // qemu-img convert.
  util::Status importFile(const PoolContext& target, const std::string& name,
                          const std::filesystem::path& source);
  util::Status importRawFile(const PoolContext& target, const std::string& name,
                             const std::filesystem::path& source);
  util::Status removeImage(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                           std::string_view kind);
  util::Status refuseExisting(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                              std::string_view what);

  RbdSettings settings_;
  QemuImg qemu_img_;
};

// The `rbd:` target QEMU and qemu-img open for an image (`rbd:pool/image:conf=…:id=…`).
std::string qemuRbdTarget(const RbdSettings& settings, const std::string& pool,
                          const std::string& image);

}  // namespace univirt::sdsctl
