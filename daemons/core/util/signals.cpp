#include "core/util/signals.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/util/check.h"

namespace univirt::util {
namespace {

sigset_t shutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void blockShutdownSignals() {
  sigset_t set = shutdownSignals();
  int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  UNIVIRT_CHECK(rc == 0, "pthread_sigmask accepts a valid set");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  rc = sigaction(SIGPIPE, &ignore, nullptr);
  UNIVIRT_CHECK(rc == 0, "SIGPIPE can always be ignored");
}

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::start(Handlers handlers) {
  blockShutdownSignals();
  sigset_t set = shutdownSignals();
  int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
  if (signal_fd < 0) {
    return Error{ErrorCode::Internal,
                 fmt::format("cannot create a signalfd: {}", std::strerror(errno))};
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) {
    int err = errno;
    ::close(signal_fd);
    return Error{ErrorCode::Internal,
                 fmt::format("cannot create an eventfd: {}", std::strerror(err))};
  }
  auto watcher =
      std::unique_ptr<SignalWatcher>(new SignalWatcher(std::move(handlers), signal_fd, wake_fd));
  // Started here, not in the constructor, so the thread never sees a half-built object.
  watcher->thread_ = std::thread([raw = watcher.get()] { raw->loop(); });
  return watcher;
}

SignalWatcher::SignalWatcher(Handlers handlers, int signal_fd, int wake_fd)
    : handlers_(std::move(handlers)), signal_fd_(signal_fd), wake_fd_(wake_fd) {}

SignalWatcher::~SignalWatcher() {
  std::uint64_t one = 1;
  ssize_t written = ::write(wake_fd_, &one, sizeof one);
  UNIVIRT_CHECK(written == sizeof one, "an eventfd counter of 1 cannot overflow");
  if (thread_.joinable()) {
    thread_.join();
  }
  ::close(signal_fd_);
  ::close(wake_fd_);
}

void SignalWatcher::loop() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    UNIVIRT_CHECK(ready > 0, "poll on our own descriptors succeeds");
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    signalfd_siginfo info{};
    ssize_t got = ::read(signal_fd_, &info, sizeof info);
    if (got != sizeof info) {
      continue;  // EINTR or EAGAIN: poll again
    }
    int signal = static_cast<int>(info.ssi_signo);
    if (signal == SIGHUP) {
      if (handlers_.on_hangup) {
        handlers_.on_hangup();
      }
    } else if (handlers_.on_terminate) {
      handlers_.on_terminate(signal);
    }
  }
}

}  // namespace univirt::util
