#pragma once

// UnixSocketProxy: relays connections from a socket of its own to libvirtd's socket, so a test
// can cut the watcher's libvirt connection under it (libvirtd sees the client go, the client
// sees end-of-file — what a libvirtd restart or a dead socket looks like) and refuse new ones
// until restore(). One thread, poll(), nothing but 127.0.0.1-free UNIX sockets in a temp dir.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace univirt::libvirtwatcher::testing {

class UnixSocketProxy {
 public:
  UnixSocketProxy(std::string listen_path, std::string target_path);
  ~UnixSocketProxy();
  UnixSocketProxy(const UnixSocketProxy&) = delete;
  UnixSocketProxy& operator=(const UnixSocketProxy&) = delete;

  bool start();
  // Closes every relayed connection; connections made from now on are closed at once.
  void cut();
  // Relays new connections again.
  void restore();

 private:
  void run(const std::stop_token& stop);
  void wake() const;

  const std::string listen_path_;
  const std::string target_path_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::atomic<bool> cut_{false};
  std::atomic<bool> cut_pending_{false};
  std::jthread thread_;
};

}  // namespace univirt::libvirtwatcher::testing
