#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include "libvirtwatcher/vm_sync.h"

namespace univirt::libvirtwatcher {
namespace {

using virt::DomainEventType;

virt::DomainLifecycleEvent event(DomainEventType type, int detail) {
  return {.domain = "vm1", .uuid = {}, .type = type, .detail = detail};
}

TEST(PendingEvents, LastEventWinsAndStopsAccumulate) {
  PendingEvents pending;
  pending.add(event(DomainEventType::Stopped, VIR_DOMAIN_EVENT_STOPPED_CRASHED));
  pending.add(event(DomainEventType::Started, VIR_DOMAIN_EVENT_STARTED_BOOTED));
  EXPECT_EQ(pending.count, 2);
  EXPECT_EQ(pending.last_type, DomainEventType::Started);
  EXPECT_TRUE(pending.stopped);
  EXPECT_FALSE(pending.last_migrated);
}

TEST(PendingEvents, MigrationAndSaveStopsAreNotUnexpected) {
  for (int detail : {VIR_DOMAIN_EVENT_STOPPED_MIGRATED, VIR_DOMAIN_EVENT_STOPPED_SAVED,
                     VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT}) {
    PendingEvents pending;
    pending.add(event(DomainEventType::Stopped, detail));
    EXPECT_FALSE(pending.stopped) << detail;
  }
  PendingEvents migrated;
  migrated.add(event(DomainEventType::Stopped, VIR_DOMAIN_EVENT_STOPPED_MIGRATED));
  EXPECT_TRUE(migrated.last_migrated);
  PendingEvents destroyed;
  destroyed.add(event(DomainEventType::Stopped, VIR_DOMAIN_EVENT_STOPPED_DESTROYED));
  EXPECT_TRUE(destroyed.stopped);
}

TEST(PendingEvents, MergeKeepsTheLaterEventAndTheEarlierFlags) {
  PendingEvents earlier;
  earlier.add(event(DomainEventType::Started, VIR_DOMAIN_EVENT_STARTED_MIGRATED));
  earlier.resync = true;
  PendingEvents later;
  later.add(event(DomainEventType::Resumed, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED));
  earlier.merge(later);
  EXPECT_EQ(earlier.count, 2);
  EXPECT_EQ(earlier.last_type, DomainEventType::Resumed);
  EXPECT_FALSE(earlier.last_migrated);
  EXPECT_TRUE(earlier.resync);
  PendingEvents resync_only;
  resync_only.resync = true;
  earlier.merge(resync_only);  // no event: the last one stays
  EXPECT_EQ(earlier.last_type, DomainEventType::Resumed);
}

TEST(PendingEvents, ExtraEventsDoNotHideAMigration) {
  PendingEvents pending;
  pending.add(event(DomainEventType::Stopped, VIR_DOMAIN_EVENT_STOPPED_MIGRATED));
  PendingEvents job_completed;
  job_completed.count = 1;  // as DomainWatcher notes a device, job, reboot or agent event
  pending.merge(job_completed);
  EXPECT_TRUE(pending.last_migrated);
  EXPECT_EQ(pending.last_type, DomainEventType::Stopped);
  EXPECT_EQ(pending.count, 2);
}

TEST(PendingEvents, OnlyARemovalThatIsTheLastLifecycleEventMovesDeviceFiles) {
  PendingEvents removed;
  removed.add(event(DomainEventType::Undefined, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED));
  EXPECT_TRUE(removed.undefined);
  PendingEvents renamed;
  renamed.add(event(DomainEventType::Undefined, VIR_DOMAIN_EVENT_UNDEFINED_RENAMED));
  EXPECT_FALSE(renamed.undefined);

  PendingEvents defined_again;
  defined_again.add(event(DomainEventType::Defined, VIR_DOMAIN_EVENT_DEFINED_ADDED));
  PendingEvents burst = removed;
  burst.merge(defined_again);
  EXPECT_FALSE(burst.undefined);
  PendingEvents device;
  device.count = 1;
  removed.merge(device);  // an extra event says nothing about the definition
  EXPECT_TRUE(removed.undefined);
}

TEST(PendingEvents, MergeKeepsTheEarliestEventTime) {
  const util::Clock::TimePoint t0{std::chrono::seconds(10)};
  PendingEvents first;
  first.count = 1;
  first.first_event = t0;
  PendingEvents later;
  later.count = 1;
  later.first_event = t0 + std::chrono::milliseconds(30);
  first.merge(later);
  EXPECT_EQ(first.first_event, t0);

  PendingEvents resync_only;  // no event, no time
  resync_only.resync = true;
  resync_only.merge(later);
  EXPECT_EQ(resync_only.first_event, later.first_event);
  PendingEvents none;
  later.merge(none);
  EXPECT_EQ(later.first_event, t0 + std::chrono::milliseconds(30));
}

}  // namespace
}  // namespace univirt::libvirtwatcher
