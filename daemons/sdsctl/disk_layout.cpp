#include "sdsctl/disk_layout.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sdsctl/pool_path.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;

util::Result<fs::path> volumeDir(const PoolContext& pool, const std::string& name,
                                 std::string_view what) {
  if (auto named = checkObjectName(name, what); !named) {
    return named.error();
  }
  return resolveInPool(pool.root, name, pool.name);
}

util::Result<fs::path> volumeFile(const PoolContext& pool, const std::string& name,
                                  const std::string& file, std::string_view what) {
  if (auto named = checkObjectName(name, what); !named) {
    return named.error();
  }
  if (auto named = checkObjectName(file, what); !named) {
    return named.error();
  }
  return resolveInPool(pool.root, fmt::format("{}/{}", name, file), pool.name);
}

util::Result<DiskConfig> readDiskConfig(const PoolContext& pool, const std::string& name,
                                        std::string_view what) {
  auto dir = volumeDir(pool, name, what);
  if (!dir) {
    return dir.error();
  }
  auto file = volumeFile(pool, name, kConfigFile, what);
  if (!file) {
    return file.error();
  }
  std::ifstream in(*file);
  if (!in) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("{} '{}' does not exist in pool '{}' (no '{}')", what, name,
                                   pool.name, file->string())};
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("current") ||
      !parsed["current"].is_string()) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("'{}' of {} '{}' is not valid JSON with a 'current' path",
                                   file->string(), what, name)};
  }
  DiskConfig config{.name = name, .dir = *dir, .current = {}, .pool = pool.name};
  const std::string current = parsed["current"].get<std::string>();
  // The file must be inside this disk's own directory.
  auto checked = checkUserPathInPool(*dir, current, pool.name);
  if (!checked) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("{} '{}': config.json names current file '{}', which is "
                                   "refused: {}",
                                   what, name, current, checked.error().message)};
  }
  config.current = *checked;
  return config;
}

util::Status writeFileAtomically(const fs::path& path, const std::string& text) {
  const fs::path temp = path.parent_path() / fmt::format(".{}.tmp", path.filename().string());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return util::Error{util::ErrorCode::Internal,
                         fmt::format("cannot write '{}'", temp.string())};
    }
  }
  std::error_code error;
  fs::rename(temp, path, error);
  if (error) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("cannot rename '{}' to '{}': {}", temp.string(), path.string(),
                                   error.message())};
  }
  return util::ok();
}

util::Status writeDiskConfig(const DiskConfig& config) {
  const nlohmann::json json = {{"name", config.name},
                               {"dir", config.dir.string()},
                               {"current", config.current.string()},
                               {"pool", config.pool}};
  return writeFileAtomically(config.dir / kConfigFile, json.dump(2) + "\n");
}

}  // namespace univirt::sdsctl
