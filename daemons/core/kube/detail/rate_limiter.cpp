#include "core/kube/detail/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace univirt::kube::detail {

RateLimiter::RateLimiter(double qps, int burst, util::Clock& clock)
    : qps_(qps),
      burst_(static_cast<double>(std::max(burst, 1))),
      clock_(clock),
      tokens_(burst_),
      last_(clock.now()) {}

bool RateLimiter::acquire(std::stop_token stop) {
  if (qps_ <= 0) {
    return !stop.stop_requested();
  }
  util::Clock::TimePoint ready_at;
  {
    std::lock_guard lock(mu_);
    util::Clock::TimePoint now = clock_.now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
    tokens_ -= 1.0;
    if (tokens_ >= 0) {
      return true;
    }
    ready_at = now + std::chrono::duration_cast<util::Clock::Duration>(
                         std::chrono::duration<double>(-tokens_ / qps_));
  }
  if (clock_.sleepUntil(ready_at, stop)) {
    return true;
  }
  // Cancelled: give the reserved token back so later callers do not wait for it.
  std::lock_guard lock(mu_);
  tokens_ = std::min(burst_, tokens_ + 1.0);
  return false;
}

}  // namespace univirt::kube::detail
