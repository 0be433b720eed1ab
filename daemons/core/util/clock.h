#pragma once

// util::Clock: the only way univirt code reads time or waits (style.md §3). Production code
// takes a Clock& and gets Clock::real(); tests pass a FakeClock and move time by hand, so no
// test sleeps and backoff schedules are checked exactly.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace univirt::util {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;

  // Monotonic time, for deadlines and durations.
  virtual TimePoint now() const = 0;
  // Calendar time, for timestamps written to the API and logs.
  virtual WallTime wallNow() const = 0;
  // Blocks until `deadline` passes or `stop` is requested. Returns false when stopped early.
  virtual bool sleepUntil(TimePoint deadline, std::stop_token stop) = 0;

  bool sleepFor(Duration duration, std::stop_token stop) {
    return sleepUntil(now() + duration, std::move(stop));
  }

  // The process-wide steady/system clock.
  static Clock& real();
};

// A clock that moves only when advance() is called; sleepers wake when their deadline is
// reached. Thread-safe, so a test thread can drive time for a component's worker thread.
class FakeClock final : public Clock {
 public:
  FakeClock();

  TimePoint now() const override;
  WallTime wallNow() const override;
  bool sleepUntil(TimePoint deadline, std::stop_token stop) override;

  void advance(Duration duration);
  // Number of threads currently blocked in sleepUntil(); lets a test wait until a component
  // has reached its wait before moving time.
  int sleepers() const;
  // Blocks (in real time, bounded by `timeout`) until at least `count` threads sleep.
  bool waitForSleepers(int count, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable_any changed_;  // guarded by mu_
  TimePoint now_;                                // guarded by mu_
  WallTime wall_now_;                            // guarded by mu_
  int sleepers_ = 0;                             // guarded by mu_
};

}  // namespace univirt::util
