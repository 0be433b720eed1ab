#pragma once

// Sparse copies between an RBD image and a raw file through librbd, in chunks of the image's
// object size: an export reads only the extents librbd reports as allocated (diff_iterate2,
// through the parent of a clone) and leaves holes for them otherwise; an import reads only the
// file's data regions (SEEK_DATA/SEEK_HOLE) into a new, all-zero image. Chunks that are all
// zero are skipped both ways, so neither side grows by what it does not hold.

#include <cstdint>
#include <filesystem>
#include <string>

#include <rbd/librbd.hpp>

#include "core/util/result.h"

namespace univirt::sdsctl {

struct RbdCopyStats {
  std::uint64_t size = 0;     // bytes of the image / file
  std::uint64_t written = 0;  // bytes written (not holes, not skipped zeros)
};

// Writes the whole of `image` (`spec` names it in messages) to the new file `file`, which must
// not exist (O_EXCL, O_NOFOLLOW); the file is removed again if the copy fails.
util::Result<RbdCopyStats> exportRbdToFile(librbd::Image& image, const std::string& spec,
                                           const std::filesystem::path& file);

// Writes the raw file `file` into `image`, which must be at least as large and read as zeros.
util::Result<RbdCopyStats> importFileToRbd(const std::filesystem::path& file, librbd::Image& image,
                                           const std::string& spec);

}  // namespace univirt::sdsctl
