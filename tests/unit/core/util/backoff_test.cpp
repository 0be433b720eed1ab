#include "core/util/backoff.h"

#include <chrono>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesWithoutJitterUntilMax) {
  Backoff backoff(
      {.initial = milliseconds(100), .max = milliseconds(1000), .factor = 2.0, .jitter = 0.0});
  EXPECT_EQ(backoff.next(), milliseconds(100));
  EXPECT_EQ(backoff.next(), milliseconds(200));
  EXPECT_EQ(backoff.next(), milliseconds(400));
  EXPECT_EQ(backoff.next(), milliseconds(800));
  EXPECT_EQ(backoff.next(), milliseconds(1000));
  EXPECT_EQ(backoff.next(), milliseconds(1000));
  EXPECT_EQ(backoff.failures(), 6);
}

TEST(Backoff, JitterStaysWithinBoundsAndNeverExceedsMax) {
  BackoffPolicy policy{
      .initial = milliseconds(1000), .max = milliseconds(4000), .factor = 2.0, .jitter = 0.25};
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Backoff backoff(policy, seed);
    auto first = backoff.next();
    EXPECT_GE(first, milliseconds(750));
    EXPECT_LE(first, milliseconds(1250));
    auto second = backoff.next();
    EXPECT_GE(second, milliseconds(1500));
    EXPECT_LE(second, milliseconds(2500));
    for (int i = 0; i < 5; ++i) {
      EXPECT_LE(backoff.next(), milliseconds(4000));
    }
  }
}

TEST(Backoff, JitterSpreadsClientsApart) {
  BackoffPolicy policy{.initial = milliseconds(1000), .max = milliseconds(4000), .jitter = 0.2};
  Backoff a(policy, 1);
  Backoff b(policy, 2);
  EXPECT_NE(a.next(), b.next());
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff({.initial = milliseconds(50), .max = milliseconds(800), .jitter = 0.0});
  backoff.next();
  backoff.next();
  backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.next(), milliseconds(50));
}

}  // namespace
}  // namespace univirt::util
