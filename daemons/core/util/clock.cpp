#include "core/util/clock.h"

namespace univirt::util {
namespace {

class RealClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  bool sleepUntil(TimePoint deadline, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    // Nothing but a stop request wakes this wait early; the predicate is only the stop itself.
    cv_.wait_until(lock, stop, deadline, [] { return false; });
    return !stop.stop_requested();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
};

}  // namespace

Clock& Clock::real() {
  static RealClock clock;
  return clock;
}

// A fixed, recognisable start so tests never depend on the machine's date.
FakeClock::FakeClock()
    : now_(TimePoint{} + std::chrono::hours(1)),
      wall_now_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

Clock::TimePoint FakeClock::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

Clock::WallTime FakeClock::wallNow() const {
  std::lock_guard lock(mu_);
  return wall_now_;
}

bool FakeClock::sleepUntil(TimePoint deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  changed_.notify_all();
  bool reached = changed_.wait(lock, stop, [&] { return now_ >= deadline; });
  --sleepers_;
  changed_.notify_all();
  return reached;
}

void FakeClock::advance(Duration duration) {
  std::lock_guard lock(mu_);
  now_ += duration;
  wall_now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
  changed_.notify_all();
}

int FakeClock::sleepers() const {
  std::lock_guard lock(mu_);
  return sleepers_;
}

bool FakeClock::waitForSleepers(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return sleepers_ >= count; });
}

}  // namespace univirt::util
