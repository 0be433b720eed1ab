#pragma once

// One lock file per daemon (/run/univirt/<daemon>.lock), shared by the systemd unit, the
// container and service-adm, so that two copies never run on one node. The lock is an
// flock(2) on the open file: the kernel drops it when the process dies, even by kill -9.

#include <string>

#include "core/util/result.h"

namespace univirt::util {

class LockFile {
 public:
  // Creates the file (and its directory) if needed and takes the lock without waiting.
  // AlreadyExists when another process holds it; the message names the file and its pid.
  static Result<LockFile> acquire(const std::string& path);

  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

  const std::string& path() const { return path_; }

 private:
  LockFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

}  // namespace univirt::util
