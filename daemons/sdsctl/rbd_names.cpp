#include "sdsctl/rbd_names.h"

#include <algorithm>

#include <fmt/format.h>

namespace univirt::sdsctl {
namespace {

bool allowedChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Printable form of a name for messages (control characters shown as '?').
std::string shown(std::string_view text) {
  std::string out(text.substr(0, 2 * kMaxRbdNameLength));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return out;
}

}  // namespace

util::Status checkRbdName(std::string_view name, std::string_view what) {
  if (name.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("the {} name is empty; give a name", what)};
  }
  if (name.size() > kMaxRbdNameLength) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} name '{}…' is longer than {} characters; use a shorter name",
                                   what, shown(name.substr(0, 16)), kMaxRbdNameLength)};
  }
  if (name.front() == '.' || name.front() == '-') {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} name '{}' must not start with '{}'; start it with a letter "
                                   "or digit",
                                   what, shown(name), name.front())};
  }
  const auto bad = std::find_if_not(name.begin(), name.end(), allowedChar);
  if (bad != name.end()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} name '{}' contains '{}'; use only letters, digits, '_', "
                                   "'.' and '-'",
                                   what, shown(name), shown(std::string_view(&*bad, 1)))};
  }
  return util::ok();
}

util::Result<std::string> parseRbdPoolUrl(std::string_view url, std::string_view source_name) {
  constexpr std::string_view kPrefix = "rbd:";
  if (url.starts_with(kPrefix)) {
    const std::string_view pool = url.substr(kPrefix.size());
    if (auto valid = checkRbdName(pool, "Ceph pool"); !valid) {
      return valid.error().withContext(fmt::format("pool url '{}'", shown(url)));
    }
    if (!source_name.empty() && source_name != pool) {
      return util::Error{
          util::ErrorCode::InvalidArgument,
          fmt::format("pool url '{}' names Ceph pool '{}' but source-name is '{}'; give one of "
                      "them, or the same pool in both",
                      shown(url), pool, shown(source_name))};
    }
    return std::string(pool);
  }
  if (url.starts_with("/") || url.empty()) {
    if (source_name.empty()) {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("a cephrbd pool needs its Ceph pool: give url 'rbd:<pool>' "
                                     "or source-name (url '{}' is a directory)",
                                     shown(url))};
    }
    if (auto valid = checkRbdName(source_name, "Ceph pool"); !valid) {
      return valid.error().withContext("source-name");
    }
    return std::string(source_name);
  }
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("cephrbd pool url '{}' is not understood; write 'rbd:<pool>' "
                                 "(for example rbd:rbd)",
                                 shown(url))};
}

std::string RbdImageRef::spec() const {
  return snapshot.empty() ? fmt::format("{}/{}", pool, image)
                          : fmt::format("{}/{}@{}", pool, image, snapshot);
}

bool looksLikeRbdSpec(std::string_view text) {
  if (text.starts_with("rbd:")) {
    return true;
  }
  return !text.empty() && text.front() != '/' && std::count(text.begin(), text.end(), '/') == 1;
}

util::Result<RbdImageRef> parseRbdImageSpec(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("rbd:")) {
    rest.remove_prefix(4);
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("RBD image '{}' is not '<cephpool>/<image>[@<snapshot>]'; "
                                   "write it like rbd/disk1",
                                   shown(text))};
  }
  RbdImageRef ref;
  ref.pool = std::string(rest.substr(0, slash));
  std::string_view image = rest.substr(slash + 1);
  if (const auto at = image.find('@'); at != std::string_view::npos) {
    ref.snapshot = std::string(image.substr(at + 1));
    image = image.substr(0, at);
    if (auto valid = checkRbdName(ref.snapshot, "snapshot"); !valid) {
      return valid.error().withContext(fmt::format("RBD image '{}'", shown(text)));
    }
  }
  ref.image = std::string(image);
  if (auto valid = checkRbdName(ref.pool, "Ceph pool"); !valid) {
    return valid.error().withContext(fmt::format("RBD image '{}'", shown(text)));
  }
  if (auto valid = checkRbdName(ref.image, "RBD image"); !valid) {
    return valid.error().withContext(fmt::format("RBD image '{}'", shown(text)));
  }
  return ref;
}

}  // namespace univirt::sdsctl
