#include "core/util/lock_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

namespace univirt::util {

Result<LockFile> LockFile::acquire(const std::string& path) {
  std::error_code ignored;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ignored);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error{ErrorCode::PermissionDenied,
                 fmt::format("cannot open lock file '{}': {}", path, std::strerror(errno))};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    std::ifstream holder(path);
    std::stringstream pid;
    pid << holder.rdbuf();
    ::close(fd);
    if (saved == EWOULDBLOCK) {
      return Error{ErrorCode::AlreadyExists,
                   fmt::format("another copy is already running (lock file '{}' held by pid {}); "
                               "stop it first",
                               path, pid.str().empty() ? std::string("unknown") : pid.str())};
    }
    return Error{ErrorCode::Internal,
                 fmt::format("cannot lock '{}': {}", path, std::strerror(saved))};
  }
  const std::string pid = std::to_string(::getpid());
  // The lock is what matters; the pid only improves the error message above.
  const bool pid_written = ::ftruncate(fd, 0) == 0 &&
                           ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  (void)pid_written;
  return LockFile(fd, path);
}

LockFile::LockFile(LockFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace univirt::util
