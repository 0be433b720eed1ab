#include "libvirtwatcher/device_files.h"

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "core/util/error.h"

namespace univirt::libvirtwatcher {
namespace {

namespace fs = std::filesystem;
using util::ErrorCode;

// The file kinds virtctl writes after the domain's name and a dash.
constexpr std::string_view kKinds[] = {"disk-", "nic-", "graphic."};

// rename(2), or copy and remove when the target is on another file system (what mv does).
std::error_code moveFile(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec != std::errc::cross_device_link) {
    return ec;
  }
  ec.clear();
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return ec;
  }
  fs::remove(from, ec);
  return ec;
}

}  // namespace

bool isDeviceFileOf(std::string_view file, std::string_view domain) {
  if (domain.empty() || file.size() <= domain.size() + 1 || !file.starts_with(domain) ||
      file[domain.size()] != '-') {
    return false;
  }
  const std::string_view rest = file.substr(domain.size() + 1);
  for (std::string_view kind : kKinds) {
    if (rest.starts_with(kind)) {
      return true;
    }
  }
  return false;
}

util::Result<std::vector<std::string>> moveDeviceFiles(std::string_view domain,
                                                       const fs::path& devices_dir,
                                                       const fs::path& target_dir) {
  std::vector<std::string> moved;
  std::error_code ec;
  fs::directory_iterator it(devices_dir, ec);
  if (ec == std::errc::no_such_file_or_directory) {
    return moved;
  }
  if (ec) {
    return util::Error{ErrorCode::Internal,
                       fmt::format("cannot read the devices directory '{}': {}",
                                   devices_dir.string(), ec.message())};
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (isDeviceFileOf(name, domain) && it->is_regular_file(type_ec)) {
      files.push_back(it->path());
    }
  }
  if (files.empty()) {
    return moved;
  }
  fs::create_directories(target_dir, ec);
  if (ec) {
    return util::Error{ErrorCode::Internal,
                       fmt::format("cannot create '{}' for the device files of domain '{}': {}",
                                   target_dir.string(), domain, ec.message())};
  }
  std::string failures;
  for (const fs::path& file : files) {
    if (std::error_code failed = moveFile(file, target_dir / file.filename()); failed) {
      failures +=
          fmt::format("{}'{}': {}", failures.empty() ? "" : "; ", file.string(), failed.message());
      continue;
    }
    moved.push_back(file.filename().string());
  }
  if (!failures.empty()) {
    return util::Error{
        ErrorCode::Internal,
        fmt::format("moved {} of {} device files of domain '{}' to '{}'; not "
                    "moved: {}",
                    moved.size(), files.size(), domain, target_dir.string(), failures)};
  }
  return moved;
}

}  // namespace univirt::libvirtwatcher
