#pragma once

// ReconnectingConnection: keeps one libvirt connection open for a daemon's whole life.
//
// run() opens the URI (start() runs it on a thread of its own, as a core::Runnable wants), enables
// keep-alive and a close callback, and waits. When libvirt reports the connection closed (libvirtd
// restarted, keep-alive timeout), when virConnectIsAlive() says so, or when a caller reports it
// through markLost(), run() drops the connection and opens a new one, with exponential backoff
// between failed attempts. Time comes from a util::Clock, so tests drive the schedule with a
// FakeClock.
//
// Callers take the current connection with connection() for one operation at a time, never
// store it: after a reconnect the old one is dead. While not connected, connection() fails
// with Unavailable, which the request layer retries.
//
// status() is what /readyz reports. Listeners hear every status change (state, failed
// attempt, loss), in order, on the run() thread; daemons resync their view of libvirt when
// the state becomes Connected with reconnects > 0.
//
// Keep-alive and the close callback are driven by the libvirt event loop: an EventLoop must
// be running while run() is.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/util/backoff.h"
#include "core/util/clock.h"
#include "core/util/result.h"
#include "core/virt/connection.h"
#include "core/virt/event_loop.h"

namespace univirt::virt {

// A libvirtd restart takes ~0.5 s once its capability cache is warm (~5 s cold): a first retry
// after 500 ms catches a quick restart. Doubling up to 30 s keeps a long outage cheap and the
// log quiet, while still noticing libvirtd's return within half a minute. Jitter spreads the
// four daemons of a node, all restarted together, apart.
inline constexpr util::BackoffPolicy kReconnectBackoff{.initial = std::chrono::milliseconds(500),
                                                       .max = std::chrono::milliseconds(30'000),
                                                       .factor = 2.0,
                                                       .jitter = 0.2};
// Keep-alive: a probe after 5 s without traffic; 3 unanswered probes (~20 s) mean libvirtd is
// gone and libvirt fires the close callback. A busy libvirtd answers probes within that.
inline constexpr int kKeepAliveIntervalSeconds = 5;
inline constexpr unsigned int kKeepAliveCount = 3;
// Safety net for drivers without a close callback: ask virConnectIsAlive() this often.
inline constexpr std::chrono::seconds kAliveCheckInterval{10};

enum class ConnectionState {
  Disconnected,  // run() not running (yet, or any more)
  Connecting,    // opening, or waiting to retry after a failed attempt
  Connected,
};

std::string_view connectionStateName(ConnectionState state);

struct ConnectionStatus {
  ConnectionState state = ConnectionState::Disconnected;
  // Why the last attempt failed or the last connection was lost; kept after reconnecting.
  std::optional<util::Error> last_error = {};
  // Successful connections after the first one.
  int reconnects = 0;
  // Failed attempts since the last successful one.
  int failed_attempts = 0;
  // While waiting to retry: when the next attempt starts.
  std::optional<util::Clock::TimePoint> next_attempt = {};
};

struct ReconnectOptions {
  std::string uri = {};
  OpenMode mode = OpenMode::ReadWrite;
  util::BackoffPolicy backoff = kReconnectBackoff;
  // Seeds the backoff jitter; unset = random. Tests fix it to predict the schedule.
  std::optional<std::uint64_t> backoff_seed = {};
  int keepalive_interval_seconds = kKeepAliveIntervalSeconds;
  unsigned int keepalive_count = kKeepAliveCount;
  std::chrono::milliseconds alive_check_interval = kAliveCheckInterval;
};

class ReconnectingConnection {
 public:
  using Listener = std::function<void(const ConnectionStatus&)>;

  // `loop` and `clock` must outlive this object.
  ReconnectingConnection(ReconnectOptions options, const EventLoop& loop, util::Clock& clock);
  ReconnectingConnection(const ReconnectingConnection&) = delete;
  ReconnectingConnection& operator=(const ReconnectingConnection&) = delete;
  // Stops the thread start() began; a run() on a caller's thread must have returned.
  ~ReconnectingConnection();

  // Connects and keeps reconnecting until `stop` is requested; then closes and returns.
  void run(const std::stop_token& stop);
  // run() on a thread of this object. Returns at once: whether libvirt is reachable shows in
  // status() (readiness), not as a start failure, so a daemon starts while libvirtd is down.
  util::Status start();
  // Stops and joins the thread start() began; returns once the connection is closed.
  void stop();

  // The current connection, for the duration of one operation. Unavailable when not connected.
  util::Result<std::shared_ptr<Connection>> connection() const;
  ConnectionStatus status() const;

  // Reports that a call on `used` failed in a way that means the connection is broken (e.g.
  // an Unavailable error on a remote URI). Ignored when `used` is no longer the current one.
  void markLost(const Connection& used, util::Error why);

  // Listeners must not call addListener/removeListener themselves. Returns an id for removal.
  int addListener(Listener listener);
  // After it returns, the listener is not running and will not be called again.
  void removeListener(int id);

 private:
  void enableKeepAlive(const Connection& connection) const;
  void registerCloseCallback(const Connection& connection);
  void waitUntilLost(const Connection& connection, const std::stop_source& wake,
                     const std::stop_token& stop);
  void markLost(virConnectPtr used, util::Error why);
  // Applies `change` to status_ under mu_, then tells the listeners.
  template <typename Change>
  void updateStatus(Change&& change);
  void notify(const ConnectionStatus& status);
  static void onClose(virConnectPtr conn, int reason, void* opaque);

  const ReconnectOptions options_;
  const EventLoop& loop_;
  util::Clock& clock_;

  mutable std::mutex mu_;
  ConnectionStatus status_;  // guarded by mu_
  // Co-owners: this object and each caller between connection() and the end of its
  // operation, so a reconnect never closes a connection under a running call.
  std::shared_ptr<Connection> current_;  // guarded by mu_
  bool lost_ = false;                    // guarded by mu_
  std::stop_source wake_;                // guarded by mu_; wakes waitUntilLost()

  std::jthread runner_;  // start()/stop() only, from the owner's thread

  // Held while listeners run, so removeListener() waits for a running notification.
  std::mutex listeners_mu_;
  std::vector<std::pair<int, Listener>> listeners_;  // guarded by listeners_mu_
  int next_listener_id_ = 0;                         // guarded by listeners_mu_
};

}  // namespace univirt::virt
