#include "core/util/backoff.h"

#include <algorithm>

namespace univirt::util {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed)
    : policy_(policy), rng_(seed), current_ms_(static_cast<double>(policy.initial.count())) {}

std::chrono::milliseconds Backoff::next() {
  double base = current_ms_;
  current_ms_ = std::min(current_ms_ * policy_.factor, static_cast<double>(policy_.max.count()));
  ++failures_;
  std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  double jittered = std::min(base * spread(rng_), static_cast<double>(policy_.max.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

void Backoff::reset() {
  current_ms_ = static_cast<double>(policy_.initial.count());
  failures_ = 0;
}

}  // namespace univirt::util
