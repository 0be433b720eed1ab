#pragma once

// Upstream's on-disk layout, kept so existing pools keep working:
//   <pool>/<name>/<name>        the disk (or image) file as created
//   <pool>/<name>/config.json   {"name", "dir", "current", "pool"}; `current` is the file a
//                               domain opens, the top of the external-snapshot overlay chain
//   <pool>/<name>/<snapshot>    an external snapshot's overlay file
//   <pool>/content              the pool's content marker (vmd, vmdi, iso …)

#include <filesystem>
#include <string>

#include "core/util/result.h"
#include "sdsctl/storage_backend.h"

namespace univirt::sdsctl {

inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kContentFile = "content";

struct DiskConfig {
  std::string name = {};
  std::filesystem::path dir = {};
  std::filesystem::path current = {};
  std::string pool = {};
};

// <pool>/<name>, checked (pool_path.h). Need not exist.
util::Result<std::filesystem::path> volumeDir(const PoolContext& pool, const std::string& name,
                                              std::string_view what);
// <pool>/<name>/<file>, checked. Need not exist.
util::Result<std::filesystem::path> volumeFile(const PoolContext& pool, const std::string& name,
                                               const std::string& file, std::string_view what);

// Reads <dir>/config.json; NotFound naming the disk when the directory or file is missing.
// `current` is checked to lie inside the disk's directory (a hand-edited file cannot point
// the disk elsewhere).
util::Result<DiskConfig> readDiskConfig(const PoolContext& pool, const std::string& name,
                                        std::string_view what);
// Writes config.json atomically (temp file + rename).
util::Status writeDiskConfig(const DiskConfig& config);

// Writes `text` to `path` atomically.
util::Status writeFileAtomically(const std::filesystem::path& path, const std::string& text);

}  // namespace univirt::sdsctl
