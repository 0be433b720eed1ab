#pragma once

// core::Daemon: the runnable group every daemon's main() hands its parts to (style.md §7).
//
//   core::Daemon daemon(core::Daemon::optionsFrom(config));
//   daemon.add({.name = "informers", .start = [&] { return informers.start(); },
//               .stop = [&] { informers.stop(); }});
//   daemon.addReadinessCheck("caches-synced", [&] { return informers.synced(); });
//   return daemon.run();
//
// run() starts the health server (if an address is configured) and then the runnables in the
// order they were added, waits until a stop is requested (SIGTERM/SIGINT, requestStop(),
// fail()), and stops the started runnables in reverse order. The stops share one deadline
// (stop-timeout); when it passes, on_stop_timeout runs (by default: log and exit(1) at once,
// systemd or the kubelet restarts us). SIGHUP reopens the log file.
// /readyz includes the check "daemon", which passes only between "all started" and "stop
// requested", so a stopping daemon leaves its Service's endpoints first.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "core/util/clock.h"
#include "core/util/config.h"
#include "core/util/health_server.h"
#include "core/util/result.h"

namespace univirt::core {

struct Runnable {
  std::string name = {};
  // Returns once the part runs (threads started, first connection made or given up on).
  // An error stops the daemon: the parts started before it are stopped and run() returns 1.
  std::function<util::Status()> start = {};
  // Returns once the part has stopped; must not throw.
  std::function<void()> stop = {};
};

struct DaemonOptions {
  std::string name = {};
  std::string health_address = {};  // empty: no health server
  std::chrono::milliseconds stop_timeout{20'000};
  bool handle_signals = true;  // SIGTERM/SIGINT request a stop, SIGHUP reopens the log file
  // Runs when the stops overrun stop_timeout, with the name of the runnable still stopping.
  // Empty: log the name and std::_Exit(1). If it returns, run() waits for the stop and
  // returns 1.
  std::function<void(const std::string& runnable)> on_stop_timeout = {};
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options, util::Clock& clock = util::Clock::real());
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // name from config.daemon(); health-address and stop-timeout from the common options.
  static DaemonOptions optionsFrom(const util::Config& config);

  // Metrics of every part; served on /metrics with the process metrics.
  prometheus::Registry& registry() { return registry_; }

  // Before run() only.
  void add(Runnable runnable);
  void addLivenessCheck(std::string name, util::HealthServer::Check check);
  void addReadinessCheck(std::string name, util::HealthServer::Check check);

  // Thread-safe; may be called before run(), which then stops right after starting.
  void requestStop();
  // A part failed while running: stop everything, run() returns 1.
  void fail(const util::Error& error);
  std::stop_token stopToken() const { return stop_.get_token(); }
  // True between "all runnables started" and "stop requested".
  bool running() const { return running_.load(); }

  // Blocks until stopped; returns the exit code for main(): 0, or 1 after a failure.
  int run();

  // The health server's port while run() serves it (0 before and without an address).
  std::uint16_t healthPort() const { return health_port_.load(); }

 private:
  struct NamedCheck {
    std::string name;
    util::HealthServer::Check check;
  };

  util::Status startAll(std::size_t& started);
  bool stopAll(std::size_t started);

  const DaemonOptions options_;
  util::Clock& clock_;
  prometheus::Registry registry_;
  std::vector<Runnable> runnables_;
  std::vector<NamedCheck> liveness_;
  std::vector<NamedCheck> readiness_;
  std::stop_source stop_;
  std::atomic<bool> running_{false};
  std::atomic<bool> failed_{false};
  std::atomic<std::uint16_t> health_port_{0};
  std::mutex mu_;
  std::condition_variable_any stopped_;  // with mu_: wakes run() when a stop is requested
  std::string stopping_;                 // guarded by mu_: the runnable being stopped
};

}  // namespace univirt::core
