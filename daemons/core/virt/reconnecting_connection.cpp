#include "core/virt/reconnecting_connection.h"

#include <random>

#include <fmt/format.h>
#include <libvirt/virterror.h>

#include "core/util/log.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {
namespace {

std::string_view closeReasonName(int reason) {
  switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR:
      return "I/O error";
    case VIR_CONNECT_CLOSE_REASON_EOF:
      return "end of file";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
      return "keep-alive timeout";
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
      return "closed by client";
    default:
      return "unknown reason";
  }
}

}  // namespace

std::string_view connectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::Disconnected:
      return "Disconnected";
    case ConnectionState::Connecting:
      return "Connecting";
    case ConnectionState::Connected:
      return "Connected";
  }
  return "Disconnected";
}

ReconnectingConnection::ReconnectingConnection(ReconnectOptions options, const EventLoop& loop,
                                               util::Clock& clock)
    : options_(std::move(options)), loop_(loop), clock_(clock) {}

ReconnectingConnection::~ReconnectingConnection() { stop(); }

util::Status ReconnectingConnection::start() {
  if (runner_.joinable()) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("libvirt connection '{}' is already running", options_.uri)};
  }
  runner_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  return util::ok();
}

void ReconnectingConnection::stop() {
  if (!runner_.joinable()) {
    return;
  }
  runner_.request_stop();
  runner_.join();
  runner_ = std::jthread();
}

void ReconnectingConnection::run(const std::stop_token& stop) {
  util::Backoff backoff(options_.backoff, options_.backoff_seed.value_or(std::random_device{}()));
  bool connected_before = false;
  if (!loop_.running()) {
    log::warn("libvirt event loop not running, keep-alive disabled", {{"uri", options_.uri}});
  }
  while (!stop.stop_requested()) {
    updateStatus([](ConnectionStatus& status) {
      status.state = ConnectionState::Connecting;
      status.next_attempt.reset();
    });
    util::Result<Connection> opened = Connection::open(options_.uri, options_.mode);
    if (!opened) {
      std::chrono::milliseconds delay = backoff.next();
      util::Clock::TimePoint next_attempt = clock_.now() + delay;
      updateStatus([&](ConnectionStatus& status) {
        ++status.failed_attempts;
        status.last_error = opened.error();
        status.next_attempt = next_attempt;
      });
      log::warn("libvirt connect failed",
                {{"uri", options_.uri},
                 {"attempt", backoff.failures()},
                 {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
                 {"err", opened.error().message},
                 {"err_code", util::errorCodeName(opened.error().code)}});
      clock_.sleepUntil(next_attempt, stop);
      continue;
    }

    auto connection = std::make_shared<Connection>(std::move(opened).value());
    backoff.reset();
    std::stop_source wake;
    {
      // Published before the close callback exists, so a close reported at once is not
      // dropped as concerning some other connection.
      std::lock_guard lock(mu_);
      current_ = connection;
      lost_ = false;
      wake_ = wake;
    }
    registerCloseCallback(*connection);
    enableKeepAlive(*connection);
    updateStatus([&](ConnectionStatus& status) {
      status.state = ConnectionState::Connected;
      status.failed_attempts = 0;
      status.next_attempt.reset();
      if (connected_before) {
        ++status.reconnects;
      }
    });
    log::info("libvirt connected", {{"uri", options_.uri}, {"reconnects", status().reconnects}});
    connected_before = true;

    waitUntilLost(*connection, wake, stop);

    // After this returns libvirt calls onClose no more, so `this` may go away.
    virConnectUnregisterCloseCallback(connection->get(), &ReconnectingConnection::onClose);
    std::optional<util::Error> why;
    {
      std::lock_guard lock(mu_);
      current_.reset();
      if (lost_) {
        why = status_.last_error;
      }
    }
    // Closes the libvirt connection unless a caller still holds it for a running call.
    connection.reset();
    if (why) {
      log::warn("libvirt connection lost", {{"uri", options_.uri}, {"err", why->message}});
    }
  }
  updateStatus([](ConnectionStatus& status) {
    status.state = ConnectionState::Disconnected;
    status.next_attempt.reset();
  });
  log::info("libvirt connection closed", {{"uri", options_.uri}});
}

void ReconnectingConnection::enableKeepAlive(const Connection& connection) const {
  if (virConnectSetKeepAlive(connection.get(), options_.keepalive_interval_seconds,
                             options_.keepalive_count) >= 0) {
    return;
  }
  LibvirtError error = takeLastError();
  // Local drivers (test:///, and qemu:/// inside libvirtd itself) have no peer to probe.
  if (error.code == VIR_ERR_NO_SUPPORT) {
    log::debug("libvirt keep-alive not supported", {{"uri", options_.uri}});
    return;
  }
  log::warn("libvirt keep-alive not enabled",
            {{"uri", options_.uri}, {"err", toError(error).message}});
}

void ReconnectingConnection::registerCloseCallback(const Connection& connection) {
  if (virConnectRegisterCloseCallback(connection.get(), &ReconnectingConnection::onClose, this,
                                      nullptr) == 0) {
    return;
  }
  // The periodic virConnectIsAlive() check still notices a dead connection, only later.
  util::Error error = lastError("registering the libvirt close callback");
  log::warn("libvirt close callback not registered",
            {{"uri", options_.uri}, {"err", error.message}});
}

void ReconnectingConnection::waitUntilLost(const Connection& connection,
                                           const std::stop_source& wake,
                                           const std::stop_token& stop) {
  std::stop_callback forward_stop(stop, [wake]() mutable { wake.request_stop(); });
  while (!stop.stop_requested()) {
    clock_.sleepUntil(clock_.now() + options_.alive_check_interval, wake.get_token());
    {
      std::lock_guard lock(mu_);
      if (lost_) {
        return;
      }
    }
    if (stop.stop_requested()) {
      return;
    }
    if (!connection.isAlive()) {
      markLost(
          connection.get(),
          util::Error{util::ErrorCode::Unavailable,
                      fmt::format("libvirt connection '{}' is no longer alive", options_.uri)});
      return;
    }
  }
}

void ReconnectingConnection::markLost(const Connection& used, util::Error why) {
  markLost(used.get(), std::move(why));
}

void ReconnectingConnection::markLost(virConnectPtr used, util::Error why) {
  std::stop_source wake;
  {
    std::lock_guard lock(mu_);
    if (current_ == nullptr || current_->get() != used || lost_) {
      return;
    }
    lost_ = true;
    // Recorded here and reported by run() together with the state change that follows.
    status_.last_error = std::move(why);
    wake = wake_;
  }
  wake.request_stop();
}

void ReconnectingConnection::onClose(virConnectPtr conn, int reason, void* opaque) {
  auto* self = static_cast<ReconnectingConnection*>(opaque);
  self->markLost(conn, util::Error{util::ErrorCode::Unavailable,
                                   fmt::format("libvirt closed connection '{}' ({})",
                                               self->options_.uri, closeReasonName(reason))});
}

util::Result<std::shared_ptr<Connection>> ReconnectingConnection::connection() const {
  std::lock_guard lock(mu_);
  if (current_ != nullptr && !lost_) {
    return current_;
  }
  if (status_.last_error) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("libvirt connection '{}' is not established: {}", options_.uri,
                                   status_.last_error->message)};
  }
  return util::Error{util::ErrorCode::Unavailable,
                     fmt::format("libvirt connection '{}' is not established", options_.uri)};
}

ConnectionStatus ReconnectingConnection::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

int ReconnectingConnection::addListener(Listener listener) {
  std::lock_guard lock(listeners_mu_);
  int id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

void ReconnectingConnection::removeListener(int id) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

template <typename Change>
void ReconnectingConnection::updateStatus(Change&& change) {
  ConnectionStatus snapshot;
  ConnectionState before = ConnectionState::Disconnected;
  {
    std::lock_guard lock(mu_);
    before = status_.state;
    change(status_);
    snapshot = status_;
  }
  if (snapshot.state != before) {
    log::info("libvirt connection state changed", {{"uri", options_.uri},
                                                   {"from", connectionStateName(before)},
                                                   {"to", connectionStateName(snapshot.state)}});
  }
  notify(snapshot);
}

void ReconnectingConnection::notify(const ConnectionStatus& status) {
  std::lock_guard lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) {
    listener(status);
  }
}

}  // namespace univirt::virt
