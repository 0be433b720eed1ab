#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "core/util/clock.h"

namespace univirt::kube::testing {

// Virtual time: every sleep returns at once after moving the clock to its deadline, and the
// requested delays are recorded. Retry schedules are then checked exactly, with no threads.
class SkippingClock final : public util::Clock {
 public:
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  WallTime wallNow() const override {
    std::lock_guard lock(mu_);
    return WallTime(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) +
           std::chrono::duration_cast<WallTime::duration>(now_.time_since_epoch());
  }
  bool sleepUntil(TimePoint deadline, std::stop_token stop) override {
    if (stop.stop_requested()) {
      return false;
    }
    std::lock_guard lock(mu_);
    slept_.push_back(deadline - now_);
    now_ = std::max(now_, deadline);
    return true;
  }
  std::vector<Duration> slept() const {
    std::lock_guard lock(mu_);
    return slept_;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_{};              // guarded by mu_
  std::vector<Duration> slept_;  // guarded by mu_
};

}  // namespace univirt::kube::testing
