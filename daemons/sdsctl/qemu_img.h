#pragma once

// qemu-img, exec'd with an argument vector (never a shell) by its absolute path. Every path
// handed to it is absolute and already checked to lie inside a pool (pool_path.h), so no
// argument can read as an option.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::sdsctl {

struct ImageInfo {
  std::string format = {};  // "qcow2", "raw"
  std::uint64_t virtual_size = 0;
  std::uint64_t actual_size = 0;
  std::string backing_file = {};  // as recorded in the image; empty: none
  std::string backing_format = {};
  std::string full_backing_filename = {};   // the backing file's absolute path
  std::vector<std::string> snapshots = {};  // internal snapshot names
};

class QemuImg {
 public:
  explicit QemuImg(std::string program = "/usr/bin/qemu-img",
                   std::chrono::milliseconds timeout = std::chrono::minutes(30));

  const std::string& program() const { return program_; }

  util::Status create(const std::string& path, const std::string& format, std::uint64_t bytes);
  // A qcow2 overlay of `backing` (format `backing_format`), the same virtual size.
  util::Status createOverlay(const std::string& path, const std::string& backing,
                             const std::string& backing_format);
  util::Status resize(const std::string& path, const std::string& format, std::uint64_t bytes);
  // A full, flattened copy (the whole backing chain) in `format`.
  util::Status convert(const std::string& source, const std::string& target,
                       const std::string& format);
  util::Result<ImageInfo> info(const std::string& path);
  // Merges `overlay` into its backing file (offline).
  util::Status commit(const std::string& overlay);
  // Safe rebase: `image` keeps its content with `backing` as its new backing file.
  util::Status rebase(const std::string& image, const std::string& backing,
                      const std::string& backing_format);
  // Internal snapshots (qcow2): create, delete, apply.
  util::Status snapshotCreate(const std::string& path, const std::string& snapshot);
  util::Status snapshotDelete(const std::string& path, const std::string& snapshot);
  util::Status snapshotApply(const std::string& path, const std::string& snapshot);

 private:
  util::Result<std::string> run(std::vector<std::string> args);

  std::string program_ = {};
  std::chrono::milliseconds timeout_;
};

}  // namespace univirt::sdsctl
