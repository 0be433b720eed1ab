#include "core/virt/event_loop.h"

#include <mutex>

#include <libvirt/libvirt.h>

#include "core/util/log.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {
namespace {

// libvirt has one default loop per process; two threads iterating it would steal each
// other's events.
std::atomic<bool> g_loop_owned{false};

void ignoreTimeout(int /*timer*/, void* /*opaque*/) {}

}  // namespace

util::Status EventLoop::registerDefaultImpl() {
  static std::once_flag once;
  static util::Status result;
  std::call_once(once, [] {
    silenceLibvirtErrorOutput();
    if (virEventRegisterDefaultImpl() < 0) {
      result = lastError("registering the libvirt event loop implementation");
    }
  });
  return result;
}

EventLoop::~EventLoop() { stop(); }

util::Status EventLoop::start() {
  if (thread_.joinable()) {
    return util::Error{util::ErrorCode::AlreadyExists, "the libvirt event loop is already running"};
  }
  if (util::Status registered = registerDefaultImpl(); !registered) {
    return registered;
  }
  bool expected = false;
  if (!g_loop_owned.compare_exchange_strong(expected, true)) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       "another libvirt event loop is already running in this process; stop it "
                       "before starting a new one"};
  }
  stopping_ = false;
  running_ = true;
  thread_ = std::jthread([this] { run(); });
  log::info("libvirt event loop started");
  return util::ok();
}

void EventLoop::stop() {
  if (!thread_.joinable()) {
    return;
  }
  stopping_ = true;
  // virEventRunDefaultImpl blocks until something happens; a zero-interval timer is that
  // something. It fires on every iteration, so it is removed only after the thread is gone.
  int wake_timer = virEventAddTimeout(0, &ignoreTimeout, nullptr, nullptr);
  thread_.join();
  if (wake_timer >= 0) {
    virEventRemoveTimeout(wake_timer);
  }
  thread_ = std::jthread();
  g_loop_owned = false;
  log::info("libvirt event loop stopped");
}

void EventLoop::run() {
  while (!stopping_.load()) {
    if (virEventRunDefaultImpl() < 0) {
      // Only a broken event implementation fails here; looping on would spin.
      util::Error error = lastError("running the libvirt event loop");
      log::error("libvirt event loop failed", {{"err", error.message}});
      break;
    }
  }
  running_ = false;
}

}  // namespace univirt::virt
