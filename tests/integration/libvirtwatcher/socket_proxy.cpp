#include "integration/libvirtwatcher/socket_proxy.h"

#include <array>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace univirt::libvirtwatcher::testing {
namespace {

sockaddr_un address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

int connectTo(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_un addr = address(path);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool writeAll(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    const ssize_t written = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (written <= 0) {
      return false;
    }
    data += written;
    size -= written;
  }
  return true;
}

}  // namespace

UnixSocketProxy::UnixSocketProxy(std::string listen_path, std::string target_path)
    : listen_path_(std::move(listen_path)), target_path_(std::move(target_path)) {}

UnixSocketProxy::~UnixSocketProxy() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake();
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  ::unlink(listen_path_.c_str());
}

bool UnixSocketProxy::start() {
  if (::pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return false;
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = address(listen_path_);
  ::unlink(listen_path_.c_str());
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    return false;
  }
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  return true;
}

void UnixSocketProxy::cut() {
  cut_ = true;
  cut_pending_ = true;
  wake();
}

void UnixSocketProxy::restore() {
  cut_ = false;
  wake();
}

void UnixSocketProxy::wake() const {
  const char byte = 0;
  static_cast<void>(::write(wake_fds_[1], &byte, 1));
}

void UnixSocketProxy::run(const std::stop_token& stop) {
  std::vector<std::pair<int, int>> pairs;  // client, libvirtd
  const auto close_pair = [](std::pair<int, int>& pair) {
    ::close(pair.first);
    ::close(pair.second);
    pair = {-1, -1};
  };
  std::array<char, 65536> buffer{};
  while (!stop.stop_requested()) {
    if (cut_pending_.exchange(false)) {
      for (auto& pair : pairs) {
        close_pair(pair);
      }
      pairs.clear();
    }
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    for (const auto& [client, server] : pairs) {
      fds.push_back({client, POLLIN, 0});
      fds.push_back({server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      char drain[64];
      while (::read(wake_fds_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = cut_ ? -1 : connectTo(target_path_);
        if (server < 0) {
          ::close(client);
        } else {
          pairs.emplace_back(client, server);
        }
      }
    }
    for (std::size_t i = 0; i < pairs.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
      for (int side = 0; side < 2; ++side) {
        const pollfd& polled = fds[2 + 2 * i + side];
        if ((polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0 || pairs[i].first < 0) {
          continue;
        }
        const int from = side == 0 ? pairs[i].first : pairs[i].second;
        const int to = side == 0 ? pairs[i].second : pairs[i].first;
        const ssize_t got = ::read(from, buffer.data(), buffer.size());
        if (got <= 0 || !writeAll(to, buffer.data(), got)) {
          close_pair(pairs[i]);
        }
      }
    }
    std::erase_if(pairs, [](const auto& pair) { return pair.first < 0; });
  }
  for (auto& pair : pairs) {
    close_pair(pair);
  }
}

}  // namespace univirt::libvirtwatcher::testing
