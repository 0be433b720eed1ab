#include "ovnctl/ovsdb_client.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace univirt::ovnctl {
namespace {

using util::Error;
using util::ErrorCode;
using Deadline = std::chrono::steady_clock::time_point;

// Closes the socket on every path.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

int remainingMs(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

util::Status waitFor(int fd, short events, Deadline deadline, const Endpoint& endpoint) {
  while (true) {
    pollfd pfd{.fd = fd, .events = events, .revents = 0};
    const int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready > 0) {
      return util::ok();
    }
    if (ready == 0) {
      return Error{ErrorCode::Timeout,
                   fmt::format("ovsdb-server at '{}' did not answer in time", endpoint.toString())};
    }
    if (errno != EINTR) {
      return Error{ErrorCode::Unavailable, fmt::format("waiting for ovsdb-server at '{}': {}",
                                                       endpoint.toString(), std::strerror(errno))};
    }
  }
}

// Connects a non-blocking socket within the deadline.
util::Status connectWithin(int fd, const sockaddr* address, socklen_t length, Deadline deadline,
                           const Endpoint& endpoint) {
  if (::connect(fd, address, length) == 0) {
    return util::ok();
  }
  if (errno != EINPROGRESS) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot connect to ovsdb-server at '{}': {}",
                                                     endpoint.toString(), std::strerror(errno))};
  }
  if (auto ready = waitFor(fd, POLLOUT, deadline, endpoint); !ready) {
    return ready;
  }
  int so_error = 0;
  socklen_t so_length = sizeof(so_error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_length);
  if (so_error != 0) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot connect to ovsdb-server at '{}': {}",
                                                     endpoint.toString(), std::strerror(so_error))};
  }
  return util::ok();
}

util::Result<std::unique_ptr<Socket>> openSocket(const Endpoint& endpoint, Deadline deadline) {
  if (endpoint.kind == Endpoint::Kind::Unix) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (endpoint.path.size() >= sizeof(address.sun_path)) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("socket path '{}' is too long", endpoint.path)};
    }
    std::memcpy(address.sun_path, endpoint.path.c_str(), endpoint.path.size() + 1);
    auto socket =
        std::make_unique<Socket>(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket->fd() < 0) {
      return Error{ErrorCode::Internal, fmt::format("socket(): {}", std::strerror(errno))};
    }
    auto connected = connectWithin(socket->fd(), reinterpret_cast<const sockaddr*>(&address),
                                   sizeof(address), deadline, endpoint);
    if (!connected) {
      return connected.error();
    }
    return socket;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot resolve ovsdb-server host '{}': {}",
                                                     endpoint.host, ::gai_strerror(rc))};
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  Error last{ErrorCode::Unavailable, "no address"};
  for (const addrinfo* it = addresses.get(); it != nullptr; it = it->ai_next) {
    auto socket = std::make_unique<Socket>(
        ::socket(it->ai_family, it->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, it->ai_protocol));
    if (socket->fd() < 0) {
      continue;
    }
    auto connected = connectWithin(socket->fd(), it->ai_addr, it->ai_addrlen, deadline, endpoint);
    if (connected) {
      return socket;
    }
    last = connected.error();
  }
  return last;
}

util::Status sendAll(int fd, std::string_view data, Deadline deadline, const Endpoint& endpoint) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (auto ready = waitFor(fd, POLLOUT, deadline, endpoint); !ready) {
        return ready;
      }
      continue;
    }
    return Error{ErrorCode::Unavailable, fmt::format("sending to ovsdb-server at '{}': {}",
                                                     endpoint.toString(), std::strerror(errno))};
  }
  return util::ok();
}

// Reads messages until the reply with `id`; answers the server's "echo" keep-alives.
util::Result<nlohmann::json> readReply(int fd, int id, Deadline deadline,
                                       const Endpoint& endpoint) {
  std::string buffer;
  char chunk[16384];
  while (true) {
    while (const std::size_t length = completeMessageLength(buffer)) {
      auto message = nlohmann::json::parse(buffer.substr(0, length), nullptr, false);
      buffer.erase(0, length);
      if (message.is_discarded() || !message.is_object()) {
        return Error{ErrorCode::Internal,
                     fmt::format("ovsdb-server at '{}' sent invalid JSON", endpoint.toString())};
      }
      if (message.value("method", "") == "echo" && message.contains("id")) {
        const nlohmann::json echo = {{"id", message["id"]},
                                     {"result", message.value("params", nlohmann::json::array())},
                                     {"error", nullptr}};
        if (auto sent = sendAll(fd, echo.dump(), deadline, endpoint); !sent) {
          return sent.error();
        }
        continue;
      }
      if (message.contains("id") && message["id"] == id) {
        return message;
      }
    }
    if (auto ready = waitFor(fd, POLLIN, deadline, endpoint); !ready) {
      return ready.error();
    }
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got > 0) {
      buffer.append(chunk, static_cast<std::size_t>(got));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    return Error{ErrorCode::Unavailable,
                 fmt::format("ovsdb-server at '{}' closed the connection before replying",
                             endpoint.toString())};
  }
}

std::optional<int> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return std::nullopt;
  }
  int port = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

}  // namespace

std::string Endpoint::toString() const {
  if (kind == Kind::Unix) {
    return "unix:" + path;
  }
  if (host.find(':') != std::string::npos) {
    return fmt::format("tcp:[{}]:{}", host, port);
  }
  return fmt::format("tcp:{}:{}", host, port);
}

util::Result<Endpoint> parseEndpoint(std::string_view text) {
  const auto invalid = [&] {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("OVSDB endpoint '{}' is not unix:PATH or tcp:HOST:PORT", text)};
  };
  if (text.starts_with("unix:")) {
    Endpoint endpoint{.kind = Endpoint::Kind::Unix, .path = std::string(text.substr(5))};
    if (endpoint.path.empty() || endpoint.path.front() != '/') {
      return invalid();
    }
    return endpoint;
  }
  if (!text.starts_with("tcp:")) {
    return invalid();
  }
  std::string_view rest = text.substr(4);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find("]:");
    if (close == std::string_view::npos) {
      return invalid();
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid();
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid();
    }
  }
  const auto number = parsePort(port);
  if (host.empty() || !number) {
    return invalid();
  }
  return Endpoint{.kind = Endpoint::Kind::Tcp, .host = std::string(host), .port = *number};
}

std::string encodeRequest(std::string_view method, const nlohmann::json& params, int id) {
  return nlohmann::json{{"method", method}, {"params", params}, {"id", id}}.dump();
}

std::size_t completeMessageLength(std::string_view buffer) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool started = false;
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    const char c = buffer[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
      started = true;
    } else if (c == '}' || c == ']') {
      --depth;
      if (started && depth == 0) {
        return i + 1;
      }
    }
  }
  return 0;
}

util::Result<nlohmann::json> decodeTransactReply(const nlohmann::json& reply,
                                                 const nlohmann::json& operations) {
  if (!reply.is_object()) {
    return Error{ErrorCode::Internal, "the OVSDB reply is not a JSON object"};
  }
  if (reply.contains("error") && !reply["error"].is_null()) {
    return Error{ErrorCode::Internal,
                 fmt::format("the OVSDB request failed: {}", reply["error"].dump())};
  }
  if (!reply.contains("result") || !reply["result"].is_array()) {
    return Error{ErrorCode::Internal, "the OVSDB reply has no result array"};
  }
  const auto& results = reply["result"];
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& result = results[i];
    if (!result.is_object() || !result.contains("error") || result["error"].is_null()) {
      continue;
    }
    const std::string error =
        result["error"].is_string() ? result["error"].get<std::string>() : result["error"].dump();
    const std::string details = result.contains("details") && result["details"].is_string()
                                    ? result["details"].get<std::string>()
                                    : std::string();
    std::string op = "commit";
    if (operations.is_array() && i < operations.size() && operations[i].is_object()) {
      op = fmt::format("{} on {}", operations[i].value("op", "?"),
                       operations[i].value("table", "?"));
    }
    const bool conflict = error == "timed out" || error == "constraint violation" ||
                          error == "referential integrity violation";
    std::string message =
        error == "timed out"
            ? fmt::format(
                  "the database changed while the operation ran (check {} failed); "
                  "nothing was changed, try again",
                  op)
            : fmt::format("the database refused the change ({} in {}{}{}); nothing was changed",
                          error, op, details.empty() ? "" : ": ", details);
    return Error{conflict ? ErrorCode::Conflict : ErrorCode::Internal, std::move(message)};
  }
  if (operations.is_array() && results.size() < operations.size()) {
    return Error{ErrorCode::Internal, "the OVSDB reply has fewer results than operations"};
  }
  return results;
}

OvsdbClient::OvsdbClient(Endpoint endpoint, std::string database, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), database_(std::move(database)), timeout_(timeout) {}

util::Result<nlohmann::json> OvsdbClient::call(std::string_view method,
                                               const nlohmann::json& params) const {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout_;
  auto socket = openSocket(endpoint_, deadline);
  if (!socket) {
    return socket.error();
  }
  constexpr int kId = 1;
  if (auto sent = sendAll((*socket)->fd(), encodeRequest(method, params, kId), deadline, endpoint_);
      !sent) {
    return sent.error();
  }
  return readReply((*socket)->fd(), kId, deadline, endpoint_);
}

util::Result<nlohmann::json> OvsdbClient::transact(const nlohmann::json& operations) const {
  nlohmann::json params = nlohmann::json::array({database_});
  for (const auto& operation : operations) {
    params.push_back(operation);
  }
  auto reply = call("transact", params);
  if (!reply) {
    return reply.error();
  }
  return decodeTransactReply(*reply, operations);
}

}  // namespace univirt::ovnctl
