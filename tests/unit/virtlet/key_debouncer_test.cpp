#include "virtlet/key_debouncer.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace univirt::virtlet {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

TEST(KeyedDebouncer, RunsAtOnceThenOnceMorePerWindow) {
  util::FakeClock clock;
  std::mutex mu;
  std::vector<std::string> seen;
  KeyedDebouncer debouncer(
      4s,
      [&](const std::string& key) {
        std::lock_guard lock(mu);
        seen.push_back(key);
      },
      clock);
  debouncer.start();
  debouncer.submit("a");
  ASSERT_TRUE(waitFor([&] { return debouncer.runs() == 1; }));
  for (int i = 0; i < 100; ++i) {
    debouncer.submit("a");
  }
  debouncer.submit("b");
  ASSERT_TRUE(waitFor([&] { return debouncer.runs() == 2; }));  // b's leading edge
  ASSERT_TRUE(clock.waitForSleepers(1, 5s));
  EXPECT_EQ(debouncer.pending(), 1U);  // a's trailing run waits for the window's end
  clock.advance(4s);
  ASSERT_TRUE(waitFor([&] { return debouncer.runs() == 3 && debouncer.pending() == 0; }));
  debouncer.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "a"}));
}

TEST(KeyedDebouncer, AQuietKeyRunsAtOnceAgain) {
  util::FakeClock clock;
  KeyedDebouncer debouncer(
      1s, [](const std::string&) {}, clock);
  debouncer.start();
  debouncer.submit("a");
  ASSERT_TRUE(waitFor([&] { return debouncer.runs() == 1; }));
  clock.advance(2s);
  debouncer.submit("a");
  ASSERT_TRUE(waitFor([&] { return debouncer.runs() == 2; }));
  debouncer.stop();
}

}  // namespace
}  // namespace univirt::virtlet
