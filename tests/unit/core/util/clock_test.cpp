#include "core/util/clock.h"

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto start = clock.now();
  auto wall_start = clock.wallNow();
  EXPECT_EQ(clock.now(), start);
  clock.advance(seconds(5));
  EXPECT_EQ(clock.now() - start, seconds(5));
  EXPECT_EQ(clock.wallNow() - wall_start, seconds(5));
}

TEST(FakeClock, SleeperWakesWhenDeadlineIsReached) {
  FakeClock clock;
  std::stop_source stop;
  auto woke =
      std::async(std::launch::async, [&] { return clock.sleepFor(seconds(10), stop.get_token()); });
  ASSERT_TRUE(clock.waitForSleepers(1, milliseconds(5000)));
  clock.advance(seconds(9));
  EXPECT_EQ(woke.wait_for(milliseconds(20)), std::future_status::timeout);
  clock.advance(seconds(1));
  EXPECT_TRUE(woke.get());
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(FakeClock, StopInterruptsSleep) {
  FakeClock clock;
  std::stop_source stop;
  auto woke =
      std::async(std::launch::async, [&] { return clock.sleepFor(seconds(10), stop.get_token()); });
  ASSERT_TRUE(clock.waitForSleepers(1, milliseconds(5000)));
  stop.request_stop();
  EXPECT_FALSE(woke.get());
}

TEST(RealClock, StopInterruptsLongSleepPromptly) {
  Clock& clock = Clock::real();
  std::stop_source stop;
  auto started = clock.now();
  auto woke = std::async(std::launch::async,
                         [&] { return clock.sleepFor(std::chrono::hours(1), stop.get_token()); });
  stop.request_stop();
  EXPECT_FALSE(woke.get());
  EXPECT_LT(clock.now() - started, seconds(30));
}

TEST(RealClock, ShortSleepReachesDeadline) {
  Clock& clock = Clock::real();
  auto deadline = clock.now() + milliseconds(5);
  EXPECT_TRUE(clock.sleepUntil(deadline, std::stop_token{}));
  EXPECT_GE(clock.now(), deadline);
}

}  // namespace
}  // namespace univirt::util
