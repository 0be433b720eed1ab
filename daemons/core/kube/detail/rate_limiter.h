#pragma once

// Client-side QPS/burst limit (client-go's token bucket): up to `burst` requests at once, then
// `qps` per second on average. Waiting goes through util::Clock so tests drive it by hand.

#include <mutex>
#include <stop_token>

#include "core/util/clock.h"

namespace univirt::kube::detail {

class RateLimiter {
 public:
  // qps <= 0 disables the limit.
  RateLimiter(double qps, int burst, util::Clock& clock);

  // Takes one token, waiting until one is available. Returns false when `stop` was requested
  // first (the token is then not taken).
  bool acquire(std::stop_token stop);

 private:
  const double qps_;
  const double burst_;
  util::Clock& clock_;
  std::mutex mu_;
  // Tokens may go negative: each waiter reserves its slot in the future, so waiters are served
  // in order and none of them re-checks in a loop. Guarded by mu_.
  double tokens_;
  util::Clock::TimePoint last_;  // guarded by mu_
};

}  // namespace univirt::kube::detail
