#pragma once

// Byte-exact file copies that never follow a symbolic link and never overwrite: the image hub
// transfers (uploadDiskImage / downloadDiskImage) copy a disk image between a pool and a
// shared directory with it. The copy goes to a hidden temporary file in the target directory
// and is linked to its name only once complete (linkat, which fails on an existing name, also
// on NFS), so a crash or a concurrent writer never leaves a half-written file under the name.
// Runs of zero bytes become holes (the copy is as sparse as the source's zeros allow).

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/util/result.h"

namespace univirt::sdsctl {

enum class CopyResult {
  Copied,        // the file was written
  AlreadyThere,  // an identical file already had the name; nothing was written
};

struct CopyStats {
  CopyResult result = CopyResult::Copied;
  std::uint64_t bytes = 0;  // size of the file
};

// Copies the regular file `source` to `target_dir`/`name`. `source` and `target_dir` must be
// paths already checked by the caller; they are opened with O_NOFOLLOW (the last component
// must not be a link). An existing `name` with the same content is AlreadyThere; one with
// other content is refused (AlreadyExists), naming both files.
util::Result<CopyStats> copyFileNoReplace(const std::filesystem::path& source,
                                          const std::filesystem::path& target_dir,
                                          const std::string& name);

// True when both regular files have the same size and bytes.
util::Result<bool> sameContent(const std::filesystem::path& left,
                               const std::filesystem::path& right);

}  // namespace univirt::sdsctl
