#include "libvirtwatcher/watcher_metrics.h"

#include <string>

#include "core/virt/domain_events.h"

namespace univirt::libvirtwatcher {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildHistogram;

constexpr virt::DomainEventType kLifecycleTypes[] = {
    virt::DomainEventType::Defined,  virt::DomainEventType::Undefined,
    virt::DomainEventType::Started,  virt::DomainEventType::Suspended,
    virt::DomainEventType::Resumed,  virt::DomainEventType::Stopped,
    virt::DomainEventType::Shutdown, virt::DomainEventType::PmSuspended,
    virt::DomainEventType::Crashed,  virt::DomainEventType::Unknown,
};
constexpr virt::DomainExtraEventType kExtraTypes[] = {
    virt::DomainExtraEventType::Reboot,         virt::DomainExtraEventType::DeviceAdded,
    virt::DomainExtraEventType::DeviceRemoved,  virt::DomainExtraEventType::JobCompleted,
    virt::DomainExtraEventType::AgentLifecycle,
};
constexpr SyncResult kResults[] = {
    SyncResult::Written,   SyncResult::Unchanged,      SyncResult::NoDomain,
    SyncResult::NoObject,  SyncResult::OtherNamespace, SyncResult::OtherHost,
    SyncResult::Migrating, SyncResult::Failed,         SyncResult::Retry,
};

prometheus::Counter& labelled(prometheus::Family<prometheus::Counter>& family,
                              const std::string& label, std::string_view value) {
  return family.Add({{label, std::string(value)}});
}

// From one coalescing window (50 ms by default) to the slow end of an API server in trouble.
prometheus::Histogram::BucketBoundaries latencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

WatcherMetrics::WatcherMetrics(prometheus::Registry& registry)
    : events_(BuildCounter()
                  .Name("univirt_libvirtwatcher_events_total")
                  .Help("libvirt domain events received, by event type")
                  .Register(registry)),
      coalesced_(BuildCounter()
                     .Name("univirt_libvirtwatcher_coalesced_events_total")
                     .Help("events that joined a refresh already queued for their domain "
                           "instead of causing one of their own")
                     .Register(registry)
                     .Add({})),
      refreshes_(BuildCounter()
                     .Name("univirt_libvirtwatcher_refreshes_total")
                     .Help("refreshes of one domain's VirtualMachine, by outcome")
                     .Register(registry)),
      vm_writes_(BuildCounter()
                     .Name("univirt_libvirtwatcher_writes_total")
                     .Help("writes to the API server, by resource")
                     .Register(registry)
                     .Add({{"resource", "virtualmachines"}})),
      event_writes_(BuildCounter()
                        .Name("univirt_libvirtwatcher_writes_total")
                        .Help("writes to the API server, by resource")
                        .Register(registry)
                        .Add({{"resource", "events"}})),
      reconnects_(BuildCounter()
                      .Name("univirt_libvirtwatcher_reconnects_total")
                      .Help("libvirt connections made after the first one (each is resynced)")
                      .Register(registry)
                      .Add({})),
      resyncs_(BuildCounter()
                   .Name("univirt_libvirtwatcher_resyncs_total")
                   .Help("full resynchronizations of every domain (one per connection)")
                   .Register(registry)
                   .Add({})),
      ha_success_(BuildCounter()
                      .Name("univirt_libvirtwatcher_ha_restarts_total")
                      .Help("HA restarts of domains labelled 'ha', by outcome")
                      .Register(registry)
                      .Add({{"outcome", "success"}})),
      ha_failure_(BuildCounter()
                      .Name("univirt_libvirtwatcher_ha_restarts_total")
                      .Help("HA restarts of domains labelled 'ha', by outcome")
                      .Register(registry)
                      .Add({{"outcome", "failure"}})),
      device_files_(BuildCounter()
                        .Name("univirt_libvirtwatcher_device_files_moved_total")
                        .Help("files of undefined domains moved out of the devices directory")
                        .Register(registry)
                        .Add({})),
      event_to_write_(BuildHistogram()
                          .Name("univirt_libvirtwatcher_event_to_write_seconds")
                          .Help("time from the first libvirt event of a burst to the "
                                "VirtualMachine update it caused")
                          .Register(registry)
                          .Add({}, latencyBuckets())) {
  for (virt::DomainEventType type : kLifecycleTypes) {
    labelled(events_, "type", virt::domainEventTypeName(type));
  }
  for (virt::DomainExtraEventType type : kExtraTypes) {
    labelled(events_, "type", virt::domainExtraEventTypeName(type));
  }
  for (SyncResult result : kResults) {
    labelled(refreshes_, "result", syncResultName(result));
  }
}

void WatcherMetrics::countEvent(std::string_view type) {
  labelled(events_, "type", type).Increment();
}

void WatcherMetrics::countCoalesced(int events) {
  if (events > 0) {
    coalesced_.Increment(events);
  }
}

void WatcherMetrics::countRefresh(SyncResult result) {
  labelled(refreshes_, "result", syncResultName(result)).Increment();
}

void WatcherMetrics::countVmWrite() { vm_writes_.Increment(); }

void WatcherMetrics::countEventWrite() { event_writes_.Increment(); }

void WatcherMetrics::countReconnect() { reconnects_.Increment(); }

void WatcherMetrics::countResync() { resyncs_.Increment(); }

void WatcherMetrics::countHaRestart(bool succeeded) {
  (succeeded ? ha_success_ : ha_failure_).Increment();
}

void WatcherMetrics::countDeviceFilesMoved(std::size_t files) {
  if (files > 0) {
    device_files_.Increment(static_cast<double>(files));
  }
}

void WatcherMetrics::observeEventToWrite(std::chrono::duration<double> latency) {
  event_to_write_.Observe(latency.count());
}

}  // namespace univirt::libvirtwatcher
