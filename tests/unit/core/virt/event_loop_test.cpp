#include "core/virt/event_loop.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "core/virt/domain_events.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::kWaitTimeout;
using testing::Recorder;
using testing::testDomainXml;
using testing::uniqueName;

bool sawEvent(const std::vector<DomainLifecycleEvent>& events, const std::string& domain,
              DomainEventType type) {
  return std::any_of(events.begin(), events.end(), [&](const DomainLifecycleEvent& event) {
    return event.domain == domain && event.type == type;
  });
}

TEST(EventLoop, DeliversDomainLifecycleEvents) {
  EventLoop loop;
  ASSERT_TRUE(loop.start());
  EXPECT_TRUE(loop.running());
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;
  Recorder<DomainLifecycleEvent> events;
  auto subscription = DomainEventSubscription::lifecycle(
      *conn, [&events](const DomainLifecycleEvent& event) { events.push(event); });
  ASSERT_TRUE(subscription) << subscription.error().message;
  std::string name = uniqueName("vm");

  auto domain = conn->defineDomain(testDomainXml(name));
  ASSERT_TRUE(domain) << domain.error().message;
  ASSERT_TRUE(domain->start());

  EXPECT_TRUE(events.waitFor([&](const auto& seen) {
    return sawEvent(seen, name, DomainEventType::Defined) &&
           sawEvent(seen, name, DomainEventType::Started);
  }));
  std::vector<DomainLifecycleEvent> seen = events.values();
  auto started = std::find_if(seen.begin(), seen.end(), [&](const DomainLifecycleEvent& event) {
    return event.type == DomainEventType::Started;
  });
  ASSERT_NE(started, seen.end());
  EXPECT_EQ(started->uuid, domain->uuid());
  EXPECT_EQ(started->detail, VIR_DOMAIN_EVENT_STARTED_BOOTED);
}

TEST(EventLoop, StopReturnsPromptly) {
  EventLoop loop;
  ASSERT_TRUE(loop.start());

  // Without a wake-up the loop would sleep in poll() forever: a hang here fails the test.
  auto stopped = std::async(std::launch::async, [&loop] { loop.stop(); });

  ASSERT_EQ(stopped.wait_for(kWaitTimeout), std::future_status::ready);
  EXPECT_FALSE(loop.running());
}

TEST(EventLoop, StopWithoutStartDoesNothing) {
  EventLoop loop;
  loop.stop();
  EXPECT_FALSE(loop.running());
}

TEST(EventLoop, OnlyOneLoopRunsAtATime) {
  EventLoop first;
  EventLoop second;
  ASSERT_TRUE(first.start());

  auto refused = second.start();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, util::ErrorCode::AlreadyExists);
  auto again = first.start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);

  first.stop();
  EXPECT_TRUE(second.start());
}

TEST(EventLoop, RestartsAfterStop) {
  EventLoop loop;
  ASSERT_TRUE(loop.start());
  loop.stop();
  ASSERT_TRUE(loop.start());
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;
  Recorder<DomainLifecycleEvent> events;
  auto subscription = DomainEventSubscription::lifecycle(
      *conn, [&events](const DomainLifecycleEvent& event) { events.push(event); });
  ASSERT_TRUE(subscription) << subscription.error().message;
  std::string name = uniqueName("vm");

  ASSERT_TRUE(conn->defineDomain(testDomainXml(name)));

  EXPECT_TRUE(events.waitFor(
      [&](const auto& seen) { return sawEvent(seen, name, DomainEventType::Defined); }));
}

}  // namespace
}  // namespace univirt::virt
