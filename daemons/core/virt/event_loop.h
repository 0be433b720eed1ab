#pragma once

// EventLoop: the thread that runs libvirt's default event loop (virEventRunDefaultImpl).
//
// libvirt delivers domain events, connection-close callbacks and keep-alive probes only while
// some thread runs its event loop, and only if an implementation was registered before the
// connections that need it were opened. So a daemon starts one EventLoop first, opens its
// connections afterwards, and stops the loop last.
//
// Callbacks run on this thread: they must be quick and must not block on libvirt calls that
// wait for an event (hand work to a queue instead).
//
// One EventLoop may run per process at a time (libvirt has one default loop); start() on a
// second one fails. stop() wakes the loop and joins it; an EventLoop may be started again.

#include <atomic>
#include <thread>

#include "core/util/result.h"

namespace univirt::virt {

class EventLoop {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // Registers libvirt's default event implementation (once per process; later calls do
  // nothing). start() calls it; call it directly only to register event callbacks before the
  // loop thread exists.
  static util::Status registerDefaultImpl();

  util::Status start();
  // Wakes the loop, waits for the thread to finish. Safe to call when not running.
  void stop();
  bool running() const { return running_.load(); }

 private:
  void run();

  std::jthread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
};

}  // namespace univirt::virt
