#include "virtlet/inotify_watcher.h"

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/util/log.h"

namespace univirt::virtlet {
namespace {

util::Error errnoError(int err, std::string_view what) {
  util::ErrorCode code = util::ErrorCode::Internal;
  if (err == ENOENT || err == ENOTDIR) {
    code = util::ErrorCode::NotFound;
  } else if (err == EACCES || err == EPERM) {
    code = util::ErrorCode::PermissionDenied;
  }
  return util::Error{code, fmt::format("{}: {}", what, std::strerror(err))};
}

}  // namespace

InotifyWatcher::InotifyWatcher(Callback callback) : callback_(std::move(callback)) {}

InotifyWatcher::~InotifyWatcher() { stop(); }

util::Status InotifyWatcher::start() {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    return errnoError(errno, "creating an inotify instance (raise fs.inotify.max_user_instances)");
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int err = errno;
    ::close(inotify_fd_);
    inotify_fd_ = -1;
    return errnoError(err, "creating an eventfd");
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void InotifyWatcher::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) {
    ::close(inotify_fd_);
    inotify_fd_ = -1;
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
  std::lock_guard lock(mu_);
  dirs_.clear();
}

util::Status InotifyWatcher::watch(const std::string& dir, std::uint32_t mask) {
  const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), mask | IN_ONLYDIR);
  if (wd < 0) {
    return errnoError(errno, fmt::format("watching directory '{}'", dir));
  }
  std::lock_guard lock(mu_);
  dirs_[wd] = dir;
  return {};
}

void InotifyWatcher::unwatch(const std::string& dir) {
  std::lock_guard lock(mu_);
  for (auto it = dirs_.begin(); it != dirs_.end(); ++it) {
    if (it->second == dir) {
      ::inotify_rm_watch(inotify_fd_, it->first);
      dirs_.erase(it);
      return;
    }
  }
}

bool InotifyWatcher::watching(const std::string& dir) const {
  std::lock_guard lock(mu_);
  for (const auto& entry : dirs_) {
    if (entry.second == dir) {
      return true;
    }
  }
  return false;
}

void InotifyWatcher::run() {
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
  std::array<pollfd, 2> fds{pollfd{inotify_fd_, POLLIN, 0}, pollfd{wake_fd_, POLLIN, 0}};
  while (true) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      log::error("inotify poll failed", {{"error", std::strerror(errno)}});
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    const ssize_t n = ::read(inotify_fd_, buffer.data(), buffer.size());
    if (n <= 0) {
      continue;
    }
    for (ssize_t offset = 0; offset < n;) {
      const auto* raw = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + raw->len);
      FsEvent event;
      event.mask = raw->mask;
      if ((raw->mask & IN_Q_OVERFLOW) == 0) {
        std::lock_guard lock(mu_);
        auto it = dirs_.find(raw->wd);
        if (it == dirs_.end()) {
          continue;
        }
        event.dir = it->second;
        if ((raw->mask & IN_IGNORED) != 0) {
          dirs_.erase(it);
        }
      }
      if (raw->len > 0) {
        event.name = raw->name;
      }
      callback_(event);
    }
  }
}

}  // namespace univirt::virtlet
