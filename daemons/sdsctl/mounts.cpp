#include "sdsctl/mounts.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sdsctl/pool_path.h"

namespace univirt::sdsctl {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string octal = field.substr(i + 1, 3);
      if (octal.size() == 3 &&
          std::all_of(octal.begin(), octal.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(static_cast<char>(std::stoi(octal, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

}  // namespace

util::Result<MountEntry> mountOf(const std::filesystem::path& path, const std::string& mountinfo) {
  std::ifstream in(mountinfo);
  if (!in) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("cannot read '{}' to check mounts", mountinfo)};
  }
  std::optional<MountEntry> best;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point options [optional…] - fstype source super-options
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string device;
    std::string root;
    std::string point;
    fields >> id >> parent >> device >> root >> point;
    std::string token;
    while (fields >> token && token != "-") {
    }
    MountEntry entry;
    fields >> entry.fs_type >> entry.source;
    entry.mount_point = unescape(point);
    if (!isInside(entry.mount_point, path)) {
      continue;
    }
    // Later lines stack on earlier ones at the same point: the last one wins.
    if (!best || entry.mount_point.string().size() >= best->mount_point.string().size()) {
      best = std::move(entry);
    }
  }
  if (!best) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("no mount contains '{}'", path.string())};
  }
  return *best;
}

util::Status checkMounted(const std::filesystem::path& dir,
                          const std::vector<std::string>& fs_types, std::string_view pool_type,
                          std::string_view pool, const std::string& mountinfo) {
  auto mount = mountOf(dir, mountinfo);
  if (!mount) {
    return mount.error();
  }
  if (mount->mount_point != dir) {
    return util::Error{
        util::ErrorCode::Unavailable,
        fmt::format("{} pool '{}' needs '{}' to be a mount point, but it is a plain directory on "
                    "'{}'; mount the {} file system there first (sdsctl never mounts it)",
                    pool_type, pool, dir.string(), mount->mount_point.string(), pool_type)};
  }
  if (std::find(fs_types.begin(), fs_types.end(), mount->fs_type) == fs_types.end()) {
    return util::Error{
        util::ErrorCode::InvalidArgument,
        fmt::format("{} pool '{}' is on '{}', a '{}' mount; expected a file system "
                    "of type {}",
                    pool_type, pool, dir.string(), mount->fs_type, fmt::join(fs_types, " or "))};
  }
  return util::ok();
}

}  // namespace univirt::sdsctl
