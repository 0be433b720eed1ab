#include "core/daemon.h"

#include <csignal>
#include <cstdlib>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/util/log.h"
#include "core/util/signals.h"

namespace univirt::core {
namespace {

std::string_view signalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "other";
  }
}

void reopenLog() {
  if (auto reopened = log::reopen(); !reopened) {
    log::error("log file reopen failed", {{"err", reopened.error().message}});
    return;
  }
  log::info("log file reopened");
}

}  // namespace

Daemon::Daemon(DaemonOptions options, util::Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Daemon::~Daemon() = default;

DaemonOptions Daemon::optionsFrom(const util::Config& config) {
  return DaemonOptions{.name = config.daemon(),
                       .health_address = config.getString("health-address"),
                       .stop_timeout = config.getDuration("stop-timeout")};
}

void Daemon::add(Runnable runnable) {
  UNIVIRT_CHECK(runnable.start && runnable.stop, "a runnable has both start and stop");
  runnables_.push_back(std::move(runnable));
}

void Daemon::addLivenessCheck(std::string name, util::HealthServer::Check check) {
  liveness_.push_back({std::move(name), std::move(check)});
}

void Daemon::addReadinessCheck(std::string name, util::HealthServer::Check check) {
  readiness_.push_back({std::move(name), std::move(check)});
}

void Daemon::requestStop() { stop_.request_stop(); }

void Daemon::fail(const util::Error& error) {
  log::error("daemon part failed", {{"err", error.message}});
  failed_ = true;
  requestStop();
}

util::Status Daemon::startAll(std::size_t& started) {
  for (Runnable& runnable : runnables_) {
    if (stop_.stop_requested()) {
      return util::ok();
    }
    log::info("starting", {{"runnable", runnable.name}});
    if (auto status = runnable.start(); !status) {
      return status.error().withContext(fmt::format("starting '{}'", runnable.name));
    }
    ++started;
  }
  return util::ok();
}

bool Daemon::stopAll(std::size_t started) {
  if (started == 0) {
    return true;
  }
  std::stop_source done;
  std::thread stopper([this, started, done]() mutable {
    for (std::size_t i = started; i-- > 0;) {
      {
        std::lock_guard lock(mu_);
        stopping_ = runnables_[i].name;
      }
      log::info("stopping", {{"runnable", runnables_[i].name}});
      runnables_[i].stop();
    }
    done.request_stop();
  });
  clock_.sleepUntil(clock_.now() + options_.stop_timeout, done.get_token());
  bool in_time = done.stop_requested();
  if (!in_time) {
    std::string stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
    }
    log::error("stop deadline exceeded",
               {{"runnable", stopping}, {"timeout_ms", options_.stop_timeout.count()}});
    if (!options_.on_stop_timeout) {
      std::_Exit(1);  // a part hangs: exit now and let systemd or the kubelet restart us
    }
    options_.on_stop_timeout(stopping);
  }
  stopper.join();
  return in_time;
}

int Daemon::run() {
  std::unique_ptr<util::SignalWatcher> signals;
  if (options_.handle_signals) {
    auto watcher = util::SignalWatcher::start(
        {.on_terminate =
             [this](int signal) {
               log::info("stop requested", {{"signal", signalName(signal)}});
               requestStop();
             },
         .on_hangup = reopenLog});
    if (!watcher) {
      log::error("daemon start failed", {{"err", watcher.error().message}});
      return 1;
    }
    signals = std::move(*watcher);
  }
  std::unique_ptr<util::HealthServer> health;
  if (!options_.health_address.empty()) {
    auto server = util::HealthServer::start(
        {.address = options_.health_address, .daemon = options_.name}, registry_);
    if (!server) {
      log::error("daemon start failed", {{"err", server.error().message}});
      return 1;
    }
    health = std::move(*server);
    for (NamedCheck& check : liveness_) {
      health->addLivenessCheck(check.name, check.check);
    }
    health->addReadinessCheck("daemon", [this] { return running_.load(); });
    for (NamedCheck& check : readiness_) {
      health->addReadinessCheck(check.name, check.check);
    }
    health_port_ = health->port();
    log::info("health server listening",
              {{"address", options_.health_address}, {"port", health->port()}});
  }

  std::size_t started = 0;
  if (auto status = startAll(started); !status) {
    log::error("daemon start failed", {{"err", status.error().message}});
    failed_ = true;
  } else {
    running_ = true;
    log::info("daemon started", {{"runnables", started}});
    std::unique_lock lock(mu_);
    stopped_.wait(lock, stop_.get_token(), [] { return false; });
  }
  running_ = false;
  log::info("daemon stopping");
  bool in_time = stopAll(started);
  health.reset();
  health_port_ = 0;
  int code = failed_ || !in_time ? 1 : 0;
  log::info("daemon stopped", {{"exit_code", code}});
  return code;
}

}  // namespace univirt::core
