#pragma once

// Signals without signal handlers. blockShutdownSignals() blocks SIGTERM, SIGINT and SIGHUP;
// call it first in main(), before any thread exists, so every thread inherits the mask and no
// thread is interrupted by them. A SignalWatcher then receives them on its own thread through
// a signalfd and runs ordinary callbacks there: request a stop, reopen the log file. Because
// the callbacks never run inside a signal handler they may lock, allocate and log.
//
// SIGPIPE is ignored: a peer closing a socket or pipe shows up as EPIPE where it happens.
// Programs started through util::runProgram() get the default mask and dispositions back.
// One SignalWatcher per process: two would steal signals from each other.

#include <functional>
#include <memory>
#include <thread>

#include "core/util/result.h"

namespace univirt::util {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and ignores SIGPIPE.
void blockShutdownSignals();

class SignalWatcher {
 public:
  struct Handlers {
    std::function<void(int signal)> on_terminate = {};  // SIGTERM, SIGINT
    std::function<void()> on_hangup = {};               // SIGHUP
  };

  // Blocks the signals in the calling thread (blockShutdownSignals) and starts the watcher
  // thread. Signals that arrive while a handler runs are queued, not lost.
  static Result<std::unique_ptr<SignalWatcher>> start(Handlers handlers);
  // Stops and joins the watcher thread; signals stay blocked.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  SignalWatcher(Handlers handlers, int signal_fd, int wake_fd);
  void loop();

  Handlers handlers_;
  int signal_fd_;
  int wake_fd_;  // an eventfd written by the destructor to end loop()
  std::thread thread_;
};

}  // namespace univirt::util
