#include "core/util/backoff.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheMaximumWithoutJitter) {
  Backoff backoff(
      {.initial = milliseconds(100), .max = milliseconds(1000), .factor = 2.0, .jitter = 0.0});
  std::vector<milliseconds> delays;
  for (int i = 0; i < 7; ++i) {
    delays.push_back(backoff.next());
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{
                        milliseconds(100), milliseconds(200), milliseconds(400), milliseconds(800),
                        milliseconds(1000), milliseconds(1000), milliseconds(1000)}));
  EXPECT_EQ(backoff.failures(), 7);
}

TEST(Backoff, ResetStartsFromTheInitialDelay) {
  Backoff backoff({.initial = milliseconds(50), .max = milliseconds(1000), .jitter = 0.0});
  (void)backoff.next();
  (void)backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.next(), milliseconds(50));
}

TEST(Backoff, JitterStaysWithinItsBoundsAndBelowTheMaximum) {
  BackoffPolicy policy{.initial = milliseconds(1000), .max = milliseconds(4000), .jitter = 0.2};
  Backoff backoff(policy, /*seed=*/42);
  for (int i = 0; i < 200; ++i) {
    double base = std::min(1000.0 * (1 << std::min(i, 3)), 4000.0);
    auto delay = backoff.next();
    EXPECT_GE(delay.count(), static_cast<long>(base * 0.8) - 1) << i;
    EXPECT_LE(delay.count(), static_cast<long>(std::min(base * 1.2, 4000.0))) << i;
  }
}

TEST(Backoff, SameSeedGivesTheSameSchedule) {
  BackoffPolicy policy{.initial = milliseconds(100), .max = milliseconds(10'000)};
  Backoff first(policy, 7);
  Backoff second(policy, 7);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(first.next(), second.next());
  }
}

TEST(Backoff, JitterSpreadsClientsApart) {
  BackoffPolicy policy{.initial = milliseconds(1000), .max = milliseconds(10'000)};
  Backoff first(policy, 1);
  Backoff second(policy, 2);
  EXPECT_NE(first.next(), second.next());
}

}  // namespace
}  // namespace univirt::util
