#include "sdsctl/qemu_img.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/exec.h"

namespace univirt::sdsctl {

QemuImg::QemuImg(std::string program, std::chrono::milliseconds timeout)
    : program_(std::move(program)), timeout_(timeout) {}

util::Result<std::string> QemuImg::run(std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(program_);
  for (auto& arg : args) {
    argv.push_back(std::move(arg));
  }
  util::ExecOptions options;
  options.timeout = timeout_;
  auto ran = util::runProgram(argv, options);
  if (!ran) {
    if (ran.error().code == util::ErrorCode::NotFound) {
      return util::Error{
          util::ErrorCode::Unavailable,
          fmt::format("'{}' is not installed; install Debian's qemu-utils", program_)};
    }
    return ran.error();
  }
  if (auto checked = util::checkSucceeded(argv, *ran); !checked) {
    return checked.error();
  }
  return std::move(ran->out);
}

util::Status QemuImg::create(const std::string& path, const std::string& format,
                             std::uint64_t bytes) {
  auto ran = run({"create", "-q", "-f", format, path, fmt::format("{}", bytes)});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::createOverlay(const std::string& path, const std::string& backing,
                                    const std::string& backing_format) {
  auto ran = run({"create", "-q", "-f", "qcow2", "-F", backing_format, "-b", backing, path});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::resize(const std::string& path, const std::string& format,
                             std::uint64_t bytes) {
  auto ran = run({"resize", "-q", "-f", format, path, fmt::format("{}", bytes)});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::convert(const std::string& source, const std::string& target,
                              const std::string& format) {
  auto ran = run({"convert", "-q", "-O", format, source, target});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Result<ImageInfo> QemuImg::info(const std::string& path) {
  // -U: a running guest holds a write lock on its disk; reading the header is still safe.
  auto ran = run({"info", "-U", "--output=json", path});
  if (!ran) {
    return ran.error();
  }
  auto parsed = nlohmann::json::parse(*ran, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("qemu-img info of '{}' printed no JSON object", path)};
  }
  ImageInfo info;
  info.format = parsed.value("format", "");
  info.virtual_size = parsed.value("virtual-size", std::uint64_t{0});
  info.actual_size = parsed.value("actual-size", std::uint64_t{0});
  info.backing_file = parsed.value("backing-filename", "");
  info.backing_format = parsed.value("backing-filename-format", "");
  info.full_backing_filename = parsed.value("full-backing-filename", "");
  for (const auto& snapshot : parsed.value("snapshots", nlohmann::json::array())) {
    info.snapshots.push_back(snapshot.value("name", ""));
  }
  return info;
}

util::Status QemuImg::commit(const std::string& overlay) {
  auto ran = run({"commit", "-q", overlay});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::rebase(const std::string& image, const std::string& backing,
                             const std::string& backing_format) {
  auto ran = run({"rebase", "-q", "-f", "qcow2", "-F", backing_format, "-b", backing, image});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::snapshotCreate(const std::string& path, const std::string& snapshot) {
  auto ran = run({"snapshot", "-q", "-c", snapshot, path});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::snapshotDelete(const std::string& path, const std::string& snapshot) {
  auto ran = run({"snapshot", "-q", "-d", snapshot, path});
  return ran ? util::ok() : util::Status(ran.error());
}

util::Status QemuImg::snapshotApply(const std::string& path, const std::string& snapshot) {
  auto ran = run({"snapshot", "-q", "-a", snapshot, path});
  return ran ? util::ok() : util::Status(ran.error());
}

}  // namespace univirt::sdsctl
