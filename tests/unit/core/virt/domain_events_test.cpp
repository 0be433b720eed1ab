#include "core/virt/domain_events.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "core/virt/event_loop.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::Recorder;
using testing::testDomainXml;
using testing::uniqueName;

bool sawEvent(const std::vector<DomainLifecycleEvent>& events, const std::string& domain,
              DomainEventType type) {
  return std::any_of(events.begin(), events.end(), [&](const DomainLifecycleEvent& event) {
    return event.domain == domain && event.type == type;
  });
}

class DomainEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.start());
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
  }

  util::Result<DomainEventSubscription> subscribe(Recorder<DomainLifecycleEvent>& events) {
    return DomainEventSubscription::lifecycle(
        *conn_, [&events](const DomainLifecycleEvent& event) { events.push(event); });
  }

  EventLoop loop_;
  std::optional<Connection> conn_;
};

TEST_F(DomainEventsTest, ReportsEachLifecycleStep) {
  Recorder<DomainLifecycleEvent> events;
  auto subscription = subscribe(events);
  ASSERT_TRUE(subscription) << subscription.error().message;
  std::string name = uniqueName("vm");

  auto domain = conn_->defineDomain(testDomainXml(name));
  ASSERT_TRUE(domain) << domain.error().message;
  ASSERT_TRUE(domain->start());
  ASSERT_TRUE(domain->suspend());
  ASSERT_TRUE(domain->resume());
  ASSERT_TRUE(domain->destroy());
  ASSERT_TRUE(domain->undefine());

  ASSERT_TRUE(events.waitFor(
      [&](const auto& seen) { return sawEvent(seen, name, DomainEventType::Undefined); }));
  std::vector<DomainEventType> types;
  for (const DomainLifecycleEvent& event : events.values()) {
    if (event.domain == name) {
      types.push_back(event.type);
    }
  }
  EXPECT_EQ(types,
            (std::vector<DomainEventType>{DomainEventType::Defined, DomainEventType::Started,
                                          DomainEventType::Suspended, DomainEventType::Resumed,
                                          DomainEventType::Stopped, DomainEventType::Undefined}));
}

TEST_F(DomainEventsTest, DestroyedSubscriptionReceivesNothing) {
  // The witness listens on a second connection to the same test driver.
  auto witness_conn = Connection::open(kTestUri);
  ASSERT_TRUE(witness_conn) << witness_conn.error().message;
  Recorder<DomainLifecycleEvent> witness_events;
  auto witness = DomainEventSubscription::lifecycle(
      *witness_conn,
      [&witness_events](const DomainLifecycleEvent& event) { witness_events.push(event); });
  ASSERT_TRUE(witness) << witness.error().message;
  Recorder<DomainLifecycleEvent> cancelled_events;
  {
    auto cancelled = subscribe(cancelled_events);
    ASSERT_TRUE(cancelled) << cancelled.error().message;
  }
  std::string name = uniqueName("vm");

  ASSERT_TRUE(conn_->defineDomain(testDomainXml(name)));

  // Both callbacks would be called from the same dispatch: once the witness has the event,
  // the cancelled one would have had it too.
  ASSERT_TRUE(witness_events.waitFor(
      [&](const auto& seen) { return sawEvent(seen, name, DomainEventType::Defined); }));
  EXPECT_TRUE(cancelled_events.values().empty());
}

TEST_F(DomainEventsTest, OneSubscriptionPerConnectionAtATime) {
  Recorder<DomainLifecycleEvent> events;
  {
    auto first = subscribe(events);
    ASSERT_TRUE(first) << first.error().message;

    auto second = subscribe(events);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, util::ErrorCode::InvalidArgument) << second.error().message;
  }

  EXPECT_TRUE(subscribe(events));
}

TEST_F(DomainEventsTest, MovedSubscriptionKeepsDelivering) {
  Recorder<DomainLifecycleEvent> events;
  auto subscription = subscribe(events);
  ASSERT_TRUE(subscription) << subscription.error().message;
  DomainEventSubscription moved = std::move(subscription).value();
  std::string name = uniqueName("vm");

  ASSERT_TRUE(conn_->defineDomain(testDomainXml(name)));

  EXPECT_TRUE(events.waitFor(
      [&](const auto& seen) { return sawEvent(seen, name, DomainEventType::Defined); }));
}

TEST(DomainEventType, HasNames) {
  EXPECT_EQ(domainEventTypeName(DomainEventType::Defined), "Defined");
  EXPECT_EQ(domainEventTypeName(DomainEventType::PmSuspended), "PmSuspended");
  EXPECT_EQ(domainEventTypeName(DomainEventType::Unknown), "Unknown");
}

}  // namespace
}  // namespace univirt::virt
