#include "sdsctl/pool_path.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxNameLength = 255;

util::Error escape(std::string_view path, std::string_view pool, const fs::path& root,
                   std::string_view why) {
  return util::Error{
      util::ErrorCode::InvalidArgument,
      fmt::format("path '{}' is refused: {}; every file of pool '{}' must lie inside '{}' with "
                  "no symbolic link below it",
                  path, why, pool, root.string())};
}

// 1 symlink, 0 other existing entry, -1 missing; errors other than ENOENT are reported.
util::Result<int> linkState(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    return S_ISLNK(info.st_mode) ? 1 : 0;
  }
  if (errno == ENOENT) {
    return -1;
  }
  return util::Error{util::ErrorCode::Internal,
                     fmt::format("cannot inspect '{}': {}", path.string(), std::strerror(errno))};
}

}  // namespace

util::Status checkObjectName(std::string_view name, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} name '{}' is invalid: {}; use a plain name such as a "
                                   "Kubernetes object name",
                                   what, name, why)};
  };
  if (name.empty()) {
    return bad("it is empty");
  }
  if (name.size() > kMaxNameLength) {
    return bad("it is longer than 255 characters");
  }
  if (name == "." || name == "..") {
    return bad("it names a directory, not an entry");
  }
  if (name.front() == '-') {
    return bad("it starts with '-'");
  }
  for (const char c : name) {
    if (c == '/') {
      return bad("it contains '/'");
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return bad("it contains a control character");
    }
  }
  return util::ok();
}

bool isInside(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (r->empty() && std::next(r) == root.end()) {
      return true;  // a trailing separator on the root
    }
    if (p == path.end() || *r != *p) {
      return false;
    }
  }
  return true;
}

util::Result<fs::path> canonicalPoolRoot(std::string_view url, std::string_view pool) {
  const fs::path given(url);
  if (url.empty() || !given.is_absolute()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' has path '{}', which is not absolute", pool, url)};
  }
  std::error_code error;
  fs::path root = fs::canonical(given, error);
  if (error || !fs::is_directory(root, error)) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("the directory '{}' of pool '{}' does not exist; create or "
                                   "mount it, then start the pool",
                                   url, pool)};
  }
  return root;
}

namespace {

// `shown` is the path as the request spelled it, for messages.
util::Result<fs::path> resolveComponents(const fs::path& root, std::string_view relative,
                                         std::string_view pool, std::string_view shown) {
  const fs::path rel(relative);
  if (rel.is_absolute()) {
    return escape(shown, pool, root, "it is absolute where a name inside the pool is expected");
  }
  fs::path current = root;
  bool missing = false;
  for (const auto& part : rel) {
    const std::string component = part.string();
    if (component == "..") {
      return escape(shown, pool, root, "it contains '..'");
    }
    if (auto named = checkObjectName(component, "path component"); !named) {
      return escape(shown, pool, root, named.error().message);
    }
    current /= part;
    if (missing) {
      continue;
    }
    auto state = linkState(current);
    if (!state) {
      return state.error();
    }
    if (*state == 1) {
      return escape(shown, pool, root, fmt::format("'{}' is a symbolic link", current.string()));
    }
    missing = *state < 0;
  }
  if (!isInside(root, current.lexically_normal())) {
    return escape(shown, pool, root, "it resolves outside the pool");
  }
  return current;
}

}  // namespace

util::Result<fs::path> resolveInPool(const fs::path& root, std::string_view relative,
                                     std::string_view pool) {
  return resolveComponents(root, relative, pool, relative);
}

util::Result<fs::path> checkUserPathInPool(const fs::path& root, std::string_view path,
                                           std::string_view pool) {
  const fs::path given(path);
  if (!given.is_absolute()) {
    return escape(path, pool, root, "it is not absolute");
  }
  for (const auto& part : given) {
    if (part == "..") {
      return escape(path, pool, root, "it contains '..'");
    }
  }
  const fs::path normal = given.lexically_normal();
  if (!isInside(root, normal)) {
    return escape(path, pool, root, "it is outside the pool");
  }
  const fs::path relative = normal.lexically_relative(root);
  auto resolved = resolveComponents(root, relative.string(), pool, path);
  if (!resolved) {
    return resolved.error();
  }
  std::error_code error;
  if (!fs::exists(*resolved, error)) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("file '{}' does not exist in pool '{}'", path, pool)};
  }
  return resolved;
}

}  // namespace univirt::sdsctl
