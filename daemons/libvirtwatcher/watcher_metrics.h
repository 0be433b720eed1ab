#pragma once

// WatcherMetrics: what libvirtwatcher counts, in the Prometheus registry its health server
// serves on /metrics (core/daemon.h). Names and meanings are listed in docs/libvirtwatcher.md;
// every series with a known label value exists from the start (at 0), so a dashboard sees a
// rate of 0 rather than no data.
//
//   univirt_libvirtwatcher_events_total{type}             libvirt events received, by type
//   univirt_libvirtwatcher_coalesced_events_total         events merged into another's refresh
//   univirt_libvirtwatcher_refreshes_total{result}        refreshes of one domain, by outcome
//   univirt_libvirtwatcher_writes_total{resource}         API writes: virtualmachines, events
//   univirt_libvirtwatcher_reconnects_total               libvirt connections after the first
//   univirt_libvirtwatcher_resyncs_total                  full resynchronizations
//   univirt_libvirtwatcher_ha_restarts_total{outcome}     HA restarts: success, failure
//   univirt_libvirtwatcher_device_files_moved_total       device files moved on undefine
//   univirt_libvirtwatcher_event_to_write_seconds         first event of a burst → its write

#include <chrono>
#include <cstddef>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "libvirtwatcher/vm_sync.h"

namespace univirt::libvirtwatcher {

class WatcherMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit WatcherMetrics(prometheus::Registry& registry);
  WatcherMetrics(const WatcherMetrics&) = delete;
  WatcherMetrics& operator=(const WatcherMetrics&) = delete;

  // `type`: a lifecycle type (virt::domainEventTypeName) or an extra event
  // (virt::domainExtraEventTypeName).
  void countEvent(std::string_view type);
  void countCoalesced(int events);
  void countRefresh(SyncResult result);
  void countVmWrite();
  void countEventWrite();
  void countReconnect();
  void countResync();
  void countHaRestart(bool succeeded);
  void countDeviceFilesMoved(std::size_t files);
  void observeEventToWrite(std::chrono::duration<double> latency);

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Counter& coalesced_;
  prometheus::Family<prometheus::Counter>& refreshes_;
  prometheus::Counter& vm_writes_;
  prometheus::Counter& event_writes_;
  prometheus::Counter& reconnects_;
  prometheus::Counter& resyncs_;
  prometheus::Counter& ha_success_;
  prometheus::Counter& ha_failure_;
  prometheus::Counter& device_files_;
  prometheus::Histogram& event_to_write_;
};

}  // namespace univirt::libvirtwatcher
