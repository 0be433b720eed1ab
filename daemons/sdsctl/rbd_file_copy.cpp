#include "sdsctl/rbd_file_copy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdsctl/rbd_cluster.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kDefaultChunk = 4ULL << 20;

util::Error fileError(std::string_view doing, const fs::path& path, int error) {
  return util::Error{util::ErrorCode::Internal,
                     fmt::format("cannot {} '{}': {}", doing, path.string(),
                                 error == ELOOP ? "it is a symbolic link" : std::strerror(error))};
}

bool allZero(const char* data, std::size_t size) {
  return std::all_of(data, data + size, [](char byte) { return byte == 0; });
}

util::Status writeAt(int fd, const char* data, std::size_t size, std::uint64_t offset,
                     const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t put = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put < 0) {
      return fileError("write", path, errno);
    }
    done += static_cast<std::size_t>(put);
  }
  return util::ok();
}

util::Result<std::size_t> readAt(int fd, char* data, std::size_t size, std::uint64_t offset,
                                 const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fileError("read", path, errno);
    }
    if (got == 0) {
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return done;
}

std::uint64_t chunkOf(librbd::Image& image) {
  librbd::image_info_t info{};
  if (image.stat(info, sizeof(info)) == 0 && info.obj_size > 0) {
    return info.obj_size;
  }
  return kDefaultChunk;
}

struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

int collectExtent(std::uint64_t offset, std::size_t length, int exists, void* arg) {
  if (exists != 0) {
    static_cast<std::vector<Extent>*>(arg)->push_back({offset, length});
  }
  return 0;
}

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

util::Result<RbdCopyStats> exportInto(int fd, librbd::Image& image, const std::string& spec,
                                      const fs::path& file) {
  std::uint64_t size = 0;
  if (int r = image.size(&size); r < 0) {
    return cephError(r, fmt::format("reading the size of RBD image '{}'", spec));
  }
  std::vector<Extent> extents;
  if (int r = image.diff_iterate2(nullptr, 0, size, true, false, &collectExtent, &extents); r < 0) {
    return cephError(r, fmt::format("listing the allocated extents of RBD image '{}'", spec));
  }
  const std::uint64_t chunk = chunkOf(image);
  RbdCopyStats stats{.size = size, .written = 0};
  for (const auto& extent : extents) {
    for (std::uint64_t at = extent.offset; at < extent.offset + extent.length; at += chunk) {
      const std::uint64_t length = std::min(chunk, extent.offset + extent.length - at);
      librados::bufferlist data;
      const ssize_t got = image.read(at, length, data);
      if (got < 0) {
        return cephError(static_cast<int>(got),
                         fmt::format("reading RBD image '{}' at {}", spec, at));
      }
      const char* bytes = data.c_str();
      const auto count = static_cast<std::size_t>(got);
      if (count == 0 || allZero(bytes, count)) {
        continue;
      }
      if (auto written = writeAt(fd, bytes, count, at, file); !written) {
        return written.error();
      }
      stats.written += count;
    }
  }
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return fileError("set the size of", file, errno);
  }
  if (::fsync(fd) != 0) {
    return fileError("flush", file, errno);
  }
  return stats;
}

}  // namespace

util::Result<RbdCopyStats> exportRbdToFile(librbd::Image& image, const std::string& spec,
                                           const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fileError("create", file, errno);
  }
  util::Result<RbdCopyStats> done = util::Error{util::ErrorCode::Internal, "not run"};
  {
    FileCloser closer(fd);
    done = exportInto(fd, image, spec, file);
  }
  if (!done) {
    std::error_code ignored;
    fs::remove(file, ignored);
    return done.error().withContext(
        fmt::format("exporting RBD image '{}' to '{}'", spec, file.string()));
  }
  return done;
}

util::Result<RbdCopyStats> importFileToRbd(const fs::path& file, librbd::Image& image,
                                           const std::string& spec) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return fileError("open", file, errno);
  }
  FileCloser closer(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return fileError("stat", file, errno);
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const std::uint64_t chunk = chunkOf(image);
  std::vector<char> buffer(chunk);
  RbdCopyStats stats{.size = size, .written = 0};
  std::uint64_t at = 0;
  while (at < size) {
    // Jump over holes: the image reads as zeros there already.
    const off_t data = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        break;  // only a hole is left
      }
      return fileError("seek in", file, errno);
    }
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      hole = static_cast<off_t>(size);
    }
    for (at = static_cast<std::uint64_t>(data); at < static_cast<std::uint64_t>(hole);) {
      // Whole objects where possible: RBD allocates per object.
      const std::uint64_t end =
          std::min<std::uint64_t>((at / chunk + 1) * chunk, static_cast<std::uint64_t>(hole));
      auto got = readAt(fd, buffer.data(), end - at, at, file);
      if (!got) {
        return got.error();
      }
      if (*got == 0) {
        break;
      }
      if (!allZero(buffer.data(), *got)) {
        librados::bufferlist bytes;
        bytes.append(buffer.data(), static_cast<unsigned>(*got));
        const ssize_t put = image.write(at, *got, bytes);
        if (put < 0) {
          return cephError(static_cast<int>(put),
                           fmt::format("writing RBD image '{}' at {}", spec, at));
        }
        stats.written += *got;
      }
      at += *got;
    }
    at = std::max<std::uint64_t>(at, static_cast<std::uint64_t>(hole));
  }
  if (int r = image.flush(); r < 0) {
    return cephError(r, fmt::format("flushing RBD image '{}'", spec));
  }
  return stats;
}

}  // namespace univirt::sdsctl
