#pragma once

// KeyedDebouncer: runs a handler for a key at once, then at most once more per window while
// events for that key keep arriving (leading and trailing edge). upstream de-duplicated events
// on the same path within 4 s and dropped the rest, which could lose the last change; the
// trailing run keeps the last state while still writing at most twice per window.
//
// The handler runs on the debouncer's own thread, one key at a time, so the handlers of one
// component never race each other. Time comes from a util::Clock.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "core/util/clock.h"

namespace univirt::virtlet {

class KeyedDebouncer {
 public:
  using Handler = std::function<void(const std::string& key)>;

  KeyedDebouncer(std::chrono::milliseconds window, Handler handler, util::Clock& clock);
  ~KeyedDebouncer();
  KeyedDebouncer(const KeyedDebouncer&) = delete;
  KeyedDebouncer& operator=(const KeyedDebouncer&) = delete;

  void start();
  // Pending keys are dropped; a running handler finishes first.
  void stop();
  void submit(const std::string& key);
  // Keys waiting for their run (tests wait for 0 before checking results).
  std::size_t pending() const;
  // Handler runs so far.
  std::size_t runs() const;

 private:
  struct Entry {
    util::Clock::TimePoint window_end;
    util::Clock::TimePoint due;
    bool pending = false;
  };
  void run(const std::stop_token& stop);

  const std::chrono::milliseconds window_;
  Handler handler_;
  util::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
  std::stop_source wake_;                 // guarded by mu_
  bool running_handler_ = false;          // guarded by mu_
  std::size_t runs_ = 0;                  // guarded by mu_
  std::jthread thread_;
};

}  // namespace univirt::virtlet
