#pragma once

// Exponential backoff with jitter, one object per retried thing (a connection, a watch, a
// request key). Numbers live in a BackoffPolicy named by its user, with the reason beside it.

#include <chrono>
#include <cstdint>
#include <random>

namespace univirt::util {

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  // Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter] so that many
  // clients restarted together do not retry in lockstep.
  double jitter = 0.2;
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt; grows until policy.max.
  std::chrono::milliseconds next();
  // Call after a success: the next failure starts from policy.initial again.
  void reset();
  int failures() const { return failures_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  double current_ms_;
  int failures_ = 0;
};

}  // namespace univirt::util
