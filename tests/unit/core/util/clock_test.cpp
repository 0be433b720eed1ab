#include "core/util/clock.h"

#include <chrono>
#include <future>
#include <stop_token>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RealClock, SleepUntilAPassedDeadlineReturnsTrueAtOnce) {
  Clock& clock = Clock::real();
  std::stop_source never;
  EXPECT_TRUE(clock.sleepUntil(clock.now() - seconds(1), never.get_token()));
}

TEST(RealClock, SleepUntilReturnsFalseWhenStopped) {
  Clock& clock = Clock::real();
  std::stop_source stop;
  stop.request_stop();
  auto started = clock.now();
  EXPECT_FALSE(clock.sleepUntil(started + seconds(60), stop.get_token()));
  EXPECT_LT(clock.now() - started, seconds(30));
}

TEST(RealClock, SleepIsEndedByALaterStopRequest) {
  Clock& clock = Clock::real();
  std::stop_source stop;
  auto slept =
      std::async(std::launch::async, [&] { return clock.sleepFor(seconds(60), stop.get_token()); });
  stop.request_stop();
  ASSERT_EQ(slept.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(slept.get());
}

TEST(FakeClock, StartsAtAFixedDate) {
  FakeClock clock;
  EXPECT_EQ(clock.wallNow(), std::chrono::sys_days{std::chrono::year{2026} / 1 / 1});
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto start = clock.now();
  auto wall = clock.wallNow();
  EXPECT_EQ(clock.now(), start);
  clock.advance(milliseconds(1500));
  EXPECT_EQ(clock.now() - start, milliseconds(1500));
  EXPECT_EQ(clock.wallNow() - wall, milliseconds(1500));
}

TEST(FakeClock, SleeperWakesWhenItsDeadlineIsReached) {
  FakeClock clock;
  std::stop_source never;
  auto slept = std::async(std::launch::async,
                          [&] { return clock.sleepFor(seconds(10), never.get_token()); });
  ASSERT_TRUE(clock.waitForSleepers(1, milliseconds(10'000)));
  clock.advance(seconds(9));
  EXPECT_EQ(slept.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(clock.sleepers(), 1);
  clock.advance(seconds(1));
  ASSERT_EQ(slept.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_TRUE(slept.get());
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(FakeClock, SleeperWakesEarlyWhenStopped) {
  FakeClock clock;
  std::stop_source stop;
  auto slept =
      std::async(std::launch::async, [&] { return clock.sleepFor(seconds(10), stop.get_token()); });
  ASSERT_TRUE(clock.waitForSleepers(1, milliseconds(10'000)));
  stop.request_stop();
  ASSERT_EQ(slept.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(slept.get());
}

TEST(FakeClock, WaitForSleepersTimesOut) {
  FakeClock clock;
  EXPECT_FALSE(clock.waitForSleepers(1, milliseconds(1)));
}

}  // namespace
}  // namespace univirt::util
