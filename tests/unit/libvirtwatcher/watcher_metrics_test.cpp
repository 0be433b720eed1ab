// WatcherMetrics as /metrics shows them: the Prometheus text of its registry.

#include "libvirtwatcher/watcher_metrics.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace univirt::libvirtwatcher {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(WatcherMetrics, EveryKnownSeriesExistsAtZeroFromTheStart) {
  prometheus::Registry registry;
  WatcherMetrics metrics(registry);
  const std::string text = scrape(registry);
  for (const char* type : {"Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped",
                           "Shutdown", "PmSuspended", "Crashed", "Reboot", "DeviceAdded",
                           "DeviceRemoved", "JobCompleted", "AgentLifecycle"}) {
    EXPECT_THAT(text, HasSubstr(std::string("univirt_libvirtwatcher_events_total{type=\"") + type +
                                "\"} 0"));
  }
  EXPECT_THAT(text,
              HasSubstr("univirt_libvirtwatcher_writes_total{resource=\"virtualmachines\"} 0"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_writes_total{resource=\"events\"} 0"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_refreshes_total{result=\"migrating\"} 0"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_coalesced_events_total 0"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_reconnects_total 0"));
  EXPECT_THAT(text, HasSubstr("# TYPE univirt_libvirtwatcher_event_to_write_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_event_to_write_seconds_count 0"));
}

TEST(WatcherMetrics, CountsWhatHappened) {
  prometheus::Registry registry;
  WatcherMetrics metrics(registry);
  metrics.countEvent("Reboot");
  metrics.countEvent("Reboot");
  metrics.countEvent("Suspended");
  metrics.countCoalesced(99);
  metrics.countCoalesced(0);
  metrics.countRefresh(SyncResult::Written);
  metrics.countRefresh(SyncResult::OtherHost);
  metrics.countVmWrite();
  metrics.countEventWrite();
  metrics.countEventWrite();
  metrics.countReconnect();
  metrics.countResync();
  metrics.countHaRestart(false);
  metrics.countDeviceFilesMoved(3);
  metrics.observeEventToWrite(std::chrono::milliseconds(60));
  const std::string text = scrape(registry);
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_events_total{type=\"Reboot\"} 2"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_events_total{type=\"Suspended\"} 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_coalesced_events_total 99"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_refreshes_total{result=\"written\"} 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_refreshes_total{result=\"other-host\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("univirt_libvirtwatcher_writes_total{resource=\"virtualmachines\"} 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_writes_total{resource=\"events\"} 2"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_reconnects_total 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_resyncs_total 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_ha_restarts_total{outcome=\"failure\"} 1"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_ha_restarts_total{outcome=\"success\"} 0"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_device_files_moved_total 3"));
  EXPECT_THAT(text, HasSubstr("univirt_libvirtwatcher_event_to_write_seconds_count 1"));
  // 60 ms: above the 0.05 bucket, inside 0.075.
  EXPECT_THAT(text,
              HasSubstr("univirt_libvirtwatcher_event_to_write_seconds_bucket{le=\"0.05\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("univirt_libvirtwatcher_event_to_write_seconds_bucket{le=\"0.075\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("univirt_libvirtwatcher_events_total{type=\"Reboot\"} 0")));
}

TEST(WatcherMetrics, TwoWatchersOnOneRegistryShareTheSeries) {
  prometheus::Registry registry;
  WatcherMetrics first(registry);
  WatcherMetrics second(registry);
  first.countVmWrite();
  second.countVmWrite();
  EXPECT_THAT(scrape(registry),
              HasSubstr("univirt_libvirtwatcher_writes_total{resource=\"virtualmachines\"} 2"));
}

}  // namespace
}  // namespace univirt::libvirtwatcher
