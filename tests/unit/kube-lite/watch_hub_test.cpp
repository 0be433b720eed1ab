#include "kube-lite/watch_hub.h"

#include <thread>

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

WatchEvent event(int64_t rv) {
  WatchEvent e;
  e.rv = rv;
  e.type = "ADDED";
  e.storage_key = "g/things";
  e.object = {{"metadata", {{"name", "x"}}}};
  return e;
}

TEST(WatchHub, ReturnsEventsAfterTheCursorInOrder) {
  WatchHub hub(10);
  hub.resetWindow(5);
  hub.publish(event(6));
  hub.publish(event(7));
  auto poll = hub.wait(6, steady_clock::now() + milliseconds(10), hub.dropGeneration());
  ASSERT_EQ(poll.events.size(), 1u);
  EXPECT_EQ(poll.events[0]->rv, 7);
  EXPECT_EQ(poll.current_rv, 7);
}

TEST(WatchHub, CursorOlderThanTheWindowIsExpired) {
  WatchHub hub(2);
  hub.resetWindow(0);
  for (int rv = 1; rv <= 4; ++rv) {
    hub.publish(event(rv));
  }
  EXPECT_FALSE(hub.servable(1));
  EXPECT_TRUE(hub.servable(2));
  EXPECT_TRUE(hub.wait(1, steady_clock::now(), hub.dropGeneration()).expired);
  hub.compact();
  EXPECT_FALSE(hub.servable(3));
  EXPECT_TRUE(hub.servable(4));
}

TEST(WatchHub, WakesWaitersOnPublishAndOnDrop) {
  WatchHub hub(10);
  hub.resetWindow(0);
  uint64_t generation = hub.dropGeneration();
  std::thread publisher([&] { hub.publish(event(1)); });
  auto poll = hub.wait(0, steady_clock::now() + std::chrono::seconds(10), generation);
  publisher.join();
  ASSERT_EQ(poll.events.size(), 1u);
  std::thread dropper([&] { hub.dropAll(); });
  auto dropped = hub.wait(1, steady_clock::now() + std::chrono::seconds(10), generation);
  dropper.join();
  EXPECT_TRUE(dropped.closed);
}

}  // namespace
}  // namespace univirt::kubelite
