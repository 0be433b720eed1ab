#include "sdsctl/file_copy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kChunk = 1U << 20;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

util::Error systemError(std::string_view doing, const fs::path& path, int error) {
  const auto code = error == ENOENT                     ? util::ErrorCode::NotFound
                    : error == EACCES || error == EPERM ? util::ErrorCode::PermissionDenied
                                                        : util::ErrorCode::Internal;
  const std::string why =
      error == ELOOP ? "it is a symbolic link" : std::string(std::strerror(error));
  return util::Error{code, fmt::format("cannot {} '{}': {}", doing, path.string(), why)};
}

util::Result<Fd> openRegular(const fs::path& path, struct stat& info) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return systemError("open", path, errno);
  }
  if (::fstat(fd.get(), &info) != 0) {
    return systemError("stat", path, errno);
  }
  if (!S_ISREG(info.st_mode)) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("'{}' is not a regular file", path.string())};
  }
  return fd;
}

// Reads exactly `size` bytes unless the file ends first; returns the count read.
util::Result<std::size_t> readFull(int fd, char* buffer, std::size_t size, const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::read(fd, buffer + done, size - done);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return systemError("read", path, errno);
    }
    if (got == 0) {
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return done;
}

util::Status writeFull(int fd, const char* buffer, std::size_t size, const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t put = ::write(fd, buffer + done, size - done);
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put < 0) {
      return systemError("write", path, errno);
    }
    done += static_cast<std::size_t>(put);
  }
  return util::ok();
}

util::Result<bool> sameOpenContent(int left, int right, const fs::path& left_path,
                                   const fs::path& right_path) {
  std::vector<char> a(kChunk);
  std::vector<char> b(kChunk);
  while (true) {
    auto got_a = readFull(left, a.data(), a.size(), left_path);
    if (!got_a) {
      return got_a.error();
    }
    auto got_b = readFull(right, b.data(), b.size(), right_path);
    if (!got_b) {
      return got_b.error();
    }
    if (*got_a != *got_b ||
        !std::equal(a.begin(), a.begin() + static_cast<long>(*got_a), b.begin())) {
      return false;
    }
    if (*got_a == 0) {
      return true;
    }
  }
}

// Copies `source` into the open `target`, leaving holes for all-zero chunks.
util::Status copyContent(int source, int target, std::uint64_t size, const fs::path& source_path,
                         const fs::path& target_path) {
  std::vector<char> buffer(kChunk);
  std::uint64_t offset = 0;
  while (true) {
    auto got = readFull(source, buffer.data(), buffer.size(), source_path);
    if (!got) {
      return got.error();
    }
    if (*got == 0) {
      break;
    }
    const bool zero = std::all_of(buffer.begin(), buffer.begin() + static_cast<long>(*got),
                                  [](char byte) { return byte == 0; });
    if (zero) {
      if (::lseek(target, static_cast<off_t>(*got), SEEK_CUR) < 0) {
        return systemError("seek in", target_path, errno);
      }
    } else if (auto written = writeFull(target, buffer.data(), *got, target_path); !written) {
      return written;
    }
    offset += *got;
  }
  if (offset != size) {
    return util::Error{util::ErrorCode::Conflict,
                       fmt::format("'{}' changed size while it was copied ({} bytes, then {})",
                                   source_path.string(), size, offset)};
  }
  // A trailing hole needs the length set explicitly.
  if (::ftruncate(target, static_cast<off_t>(offset)) != 0) {
    return systemError("set the size of", target_path, errno);
  }
  if (::fsync(target) != 0) {
    return systemError("flush", target_path, errno);
  }
  return util::ok();
}

std::string temporaryName(const std::string& name) {
  std::random_device random;
  return fmt::format(".{}.univirt-{:08x}.part", name, random());
}

}  // namespace

util::Result<bool> sameContent(const fs::path& left, const fs::path& right) {
  struct stat left_info {};
  struct stat right_info {};
  auto a = openRegular(left, left_info);
  if (!a) {
    return a.error();
  }
  auto b = openRegular(right, right_info);
  if (!b) {
    return b.error();
  }
  if (left_info.st_size != right_info.st_size) {
    return false;
  }
  return sameOpenContent(a->get(), b->get(), left, right);
}

util::Result<CopyStats> copyFileNoReplace(const fs::path& source, const fs::path& target_dir,
                                          const std::string& name) {
  const fs::path target = target_dir / name;
  struct stat info {};
  auto in = openRegular(source, info);
  if (!in) {
    return in.error();
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  Fd dir(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) {
    return systemError("open the directory", target_dir, errno);
  }
  struct stat existing {};
  if (::fstatat(dir.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISREG(existing.st_mode)) {
      auto same = sameContent(source, target);
      if (!same) {
        return same.error();
      }
      if (*same) {
        return CopyStats{.result = CopyResult::AlreadyThere, .bytes = size};
      }
    }
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("'{}' already exists and is not a copy of '{}'; it is never "
                                   "overwritten: remove it or choose another directory",
                                   target.string(), source.string())};
  }
  if (errno != ENOENT) {
    return systemError("stat", target, errno);
  }
  const std::string temp_name = temporaryName(name);
  const fs::path temp = target_dir / temp_name;
  Fd out(::openat(dir.get(), temp_name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out.valid()) {
    return systemError("create", temp, errno);
  }
  auto copied = copyContent(in->get(), out.get(), size, source, temp);
  if (copied) {
    if (::linkat(dir.get(), temp_name.c_str(), dir.get(), name.c_str(), 0) != 0) {
      const int error = errno;
      copied = error == EEXIST
                   ? util::Status(util::Error{
                         util::ErrorCode::AlreadyExists,
                         fmt::format("'{}' appeared while it was being copied; it was left alone",
                                     target.string())})
                   : util::Status(systemError("name", target, error));
    }
  }
  (void)::unlinkat(dir.get(), temp_name.c_str(), 0);
  if (!copied) {
    return copied.error();
  }
  (void)::fsync(dir.get());
  return CopyStats{.result = CopyResult::Copied, .bytes = size};
}

}  // namespace univirt::sdsctl
