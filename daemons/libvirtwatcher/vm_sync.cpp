#include "libvirtwatcher/vm_sync.h"

#include <utility>

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/kube/patch.h"
#include "core/lifecycle/object_status.h"
#include "core/util/log.h"
#include "libvirtwatcher/device_files.h"
#include "libvirtwatcher/vm_state.h"
#include "libvirtwatcher/watcher_metrics.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::libvirtwatcher {
namespace {

using util::ErrorCode;
using virt::DomainEventType;

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
// Upstream's HA Event: reason Stopped, operation startVMbyHA.
constexpr std::string_view kHaReason = "Stopped";
constexpr std::string_view kHaOperation = "startVMbyHA";

bool isMigrationDetail(DomainEventType type, int detail) {
  switch (type) {
    case DomainEventType::Started:
      return detail == VIR_DOMAIN_EVENT_STARTED_MIGRATED;
    case DomainEventType::Suspended:
      return detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED ||
             detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY;
    case DomainEventType::Resumed:
      return detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED ||
             detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY;
    case DomainEventType::Stopped:
      return detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED;
    default:
      return false;
  }
}

// Stops that are part of an operation (migration, managed save, reverting to a snapshot), not
// a domain going down.
bool isPlannedStop(int detail) {
  return detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED || detail == VIR_DOMAIN_EVENT_STOPPED_SAVED ||
         detail == VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT;
}

WriteTime writeTime(util::Clock& clock) {
  const auto wall = clock.wallNow();
  return WriteTime{
      .rfc3339 = kube::formatTimestamp(wall),
      .epoch_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count()};
}

SyncResult forError(const util::Error& error) {
  return error.code == ErrorCode::Unavailable || error.code == ErrorCode::Timeout
             ? SyncResult::Retry
             : SyncResult::Failed;
}

}  // namespace

void PendingEvents::add(const virt::DomainLifecycleEvent& event) {
  ++count;
  last_type = event.type;
  last_detail = event.detail;
  last_migrated = isMigrationDetail(event.type, event.detail);
  undefined = event.type == DomainEventType::Undefined &&
              event.detail == VIR_DOMAIN_EVENT_UNDEFINED_REMOVED;
  if (event.type == DomainEventType::Stopped && !isPlannedStop(event.detail)) {
    stopped = true;
  }
}

void PendingEvents::merge(const PendingEvents& later) {
  count += later.count;
  // Only lifecycle events say what state a burst ends in; a device or job event after a
  // migration's last event must not make the burst look unrelated to the migration.
  if (later.last_type != DomainEventType::Unknown) {
    last_type = later.last_type;
    last_detail = later.last_detail;
    last_migrated = later.last_migrated;
    undefined = later.undefined;
  }
  if (first_event == util::Clock::TimePoint{} ||
      (later.first_event != util::Clock::TimePoint{} && later.first_event < first_event)) {
    first_event = later.first_event;
  }
  stopped = stopped || later.stopped;
  resync = resync || later.resync;
}

std::string_view syncResultName(SyncResult result) {
  switch (result) {
    case SyncResult::Written:
      return "written";
    case SyncResult::Unchanged:
      return "unchanged";
    case SyncResult::NoDomain:
      return "no-domain";
    case SyncResult::NoObject:
      return "no-object";
    case SyncResult::OtherNamespace:
      return "other-namespace";
    case SyncResult::OtherHost:
      return "other-host";
    case SyncResult::Migrating:
      return "migrating";
    case SyncResult::Failed:
      return "failed";
    case SyncResult::Retry:
      return "retry";
  }
  return "failed";
}

VmSync::VmSync(kube::Client& client, virtctl::ConnectionProvider connect, SyncOptions options,
               util::Clock& clock, WatcherMetrics* metrics)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      recorder_(client, kube::EventSource{.component = "virtctl", .host = options_.node_name},
                clock),
      ovn_(recorder_, options_.ovn_northbound, options_.ovs_db),
      metrics_(metrics) {
  deps_.settings.node_name = options_.node_name;
  deps_.settings.home_namespace = options_.home_namespace;
  deps_.connect = std::move(connect);
}

SyncStats VmSync::stats() const {
  return SyncStats{.writes = writes_.load(),
                   .events = events_.load(),
                   .ha_restarts = ha_restarts_.load(),
                   .ha_failures = ha_failures_.load(),
                   .device_files_moved = device_files_moved_.load(),
                   .ovn = ovn_.stats()};
}

SyncResult VmSync::sync(const std::string& domain, const PendingEvents& pending,
                        const std::stop_token& stop) {
  auto connection = deps_.connect();
  if (!connection) {
    return SyncResult::Retry;  // the resync after the reconnect covers this domain
  }
  auto found = (*connection)->lookupDomain(domain);
  if (!found) {
    if (found.error().code != ErrorCode::NotFound) {
      return forError(found.error());
    }
    // Still gone after the burst: a domain undefined and defined again keeps its files.
    if (pending.undefined) {
      moveDeviceFilesOf(domain);
    }
    return SyncResult::NoDomain;
  }
  auto owner = virtctl::vm::ownerOf(*found, deps_.settings);
  if (!owner) {
    log::warn("domain owner unreadable", {{"domain", domain}, {"err", owner.error().message}});
    return forError(owner.error());
  }
  if (!options_.namespace_name.empty() && *owner != options_.namespace_name) {
    return SyncResult::OtherNamespace;
  }
  const kube::ObjectKey key{*owner, domain};
  lifecycle::Invocation invocation;
  invocation.name = domain;
  invocation.namespace_name = *owner;
  auto refreshed = virtctl::vm::refreshVm(deps_, invocation);
  if (!refreshed) {
    if (refreshed.error().code == ErrorCode::NotFound) {
      return SyncResult::NoDomain;  // undefined between the lookup and the refresh
    }
    if (forError(refreshed.error()) == SyncResult::Retry) {
      return SyncResult::Retry;
    }
    return writeFailure(key, refreshed.error().message);
  }

  Skip skip = Skip::No;
  bool restart = false;
  bool changed = false;  // what the last (successful) attempt decided
  const WriteTime time = writeTime(clock_);
  auto written = kube::updateWithRetry(
      client_, kVirtualMachines, key,
      [&](kube::Object& vm) -> util::Result<kube::Mutation> {
        skip = skipFor(vm, options_.node_name, pending.last_migrated);
        if (skip != Skip::No) {
          return kube::Mutation::Unchanged;
        }
        restart = pending.stopped && hasHaLabel(vm) && !stopRequested(vm) &&
                  refreshed->reason != "Running" && refreshed->reason != "Paused";
        const kube::Mutation mutation = applyRefreshed(vm, *refreshed, time);
        changed = mutation == kube::Mutation::Changed;
        return mutation;
      },
      {}, stop);
  if (!written) {
    if (written.error().code == ErrorCode::NotFound) {
      return SyncResult::NoObject;
    }
    log::warn("virtual machine not refreshed",
              {{"ns", key.namespace_name},
               {"name", domain},
               {"err", written.error().message},
               {"err_code", util::errorCodeName(written.error().code)}});
    if (written.error().retryable()) {
      return SyncResult::Retry;
    }
    // Refused for good (too large, invalid): the object says so, as upstream's report_failure,
    // in a write much smaller than the refresh.
    return writeFailure(key, fmt::format("the VirtualMachine could not be refreshed from domain "
                                         "'{}': {}",
                                         domain, written.error().message));
  }
  if (skip == Skip::OtherHost) {
    return SyncResult::OtherHost;
  }
  if (skip == Skip::Migrating) {
    return SyncResult::Migrating;
  }
  if (changed) {
    writes_++;
    if (metrics_ != nullptr) {
      metrics_->countVmWrite();
    }
    log::debug("virtual machine refreshed", {{"ns", key.namespace_name},
                                             {"name", domain},
                                             {"powerstate", refreshed->reason},
                                             {"events", pending.count}});
  }
  const bool ha_restart = restart && options_.ha_max_tries > 0;
  const bool running = refreshed->reason == "Running";
  if (ovn_.enabled()) {
    // Errors are logged and recorded as Events by OvnPortSync; the refresh stands.
    if (running && (pending.last_type == DomainEventType::Started || pending.resync)) {
      static_cast<void>(ovn_.started(*written, domain));
    } else if (pending.stopped && !ha_restart && !running && refreshed->reason != "Paused") {
      static_cast<void>(ovn_.stopped(*written, domain));
    }
  }
  if (ha_restart) {
    restartForHa(*written, domain, stop);
  }
  return changed ? SyncResult::Written : SyncResult::Unchanged;
}

SyncResult VmSync::writeFailure(const kube::ObjectKey& key, const std::string& message) {
  log::warn("domain not readable",
            {{"ns", key.namespace_name}, {"name", key.name}, {"err", message}});
  const WriteTime time = writeTime(clock_);
  bool changed = false;
  auto written = kube::updateWithRetry(
      client_, kVirtualMachines, key, [&](kube::Object& vm) -> util::Result<kube::Mutation> {
        if (skipFor(vm, options_.node_name, false) != Skip::No) {
          return kube::Mutation::Unchanged;
        }
        const kube::Mutation mutation = applyFailure(vm, message, time);
        changed = mutation == kube::Mutation::Changed;
        return mutation;
      });
  if (!written) {
    log::warn("virtlet error not reported",
              {{"ns", key.namespace_name}, {"name", key.name}, {"err", written.error().message}});
    return written.error().code == ErrorCode::NotFound ? SyncResult::NoObject : SyncResult::Failed;
  }
  if (changed) {
    writes_++;
    if (metrics_ != nullptr) {
      metrics_->countVmWrite();
    }
    // One Warning Event per new failure; the same failure again changes nothing and says
    // nothing (each refresh of a broken domain would add one otherwise).
    events_++;
    if (metrics_ != nullptr) {
      metrics_->countEventWrite();
    }
    auto recorded =
        recorder_.record(*written, kube::EventType::Warning, kReasonWatcherError, message);
    if (!recorded) {
      log::warn("event not recorded", {{"name", key.name}, {"err", recorded.error().message}});
    }
  }
  return SyncResult::Failed;
}

void VmSync::moveDeviceFilesOf(const std::string& domain) {
  if (options_.devices_dir.empty()) {
    return;
  }
  auto moved = moveDeviceFiles(domain, options_.devices_dir, options_.undefined_devices_dir);
  if (!moved) {
    log::warn("device files of undefined domain not moved",
              {{"domain", domain}, {"err", moved.error().message}});
    return;
  }
  if (moved->empty()) {
    return;
  }
  device_files_moved_ += static_cast<std::int64_t>(moved->size());
  if (metrics_ != nullptr) {
    metrics_->countDeviceFilesMoved(moved->size());
  }
  log::info("device files of undefined domain moved",
            {{"domain", domain},
             {"files", static_cast<std::int64_t>(moved->size())},
             {"to", options_.undefined_devices_dir}});
}

void VmSync::restartForHa(const kube::Object& vm, const std::string& domain,
                          const std::stop_token& stop) {
  const auto began = clock_.now();
  const auto seconds = [&] { return std::chrono::duration<double>(clock_.now() - began).count(); };
  log::info("ha restart", {{"ns", kube::namespaceOf(vm)}, {"name", domain}});
  event(vm, kube::EventType::Normal, "Doing(Success)", 0);
  std::string last_error;
  for (int attempt = 1; attempt <= options_.ha_max_tries; ++attempt) {
    if (attempt > 1 && !clock_.sleepFor(options_.ha_retry_delay, stop)) {
      return;  // shutting down
    }
    auto connection = deps_.connect();
    if (!connection) {
      last_error = connection.error().message;
      continue;
    }
    auto found = (*connection)->lookupDomain(domain);
    if (!found) {
      last_error = found.error().message;
      continue;
    }
    auto active = found->isActive();
    if (active && *active) {
      ha_restarts_++;
      if (metrics_ != nullptr) {
        metrics_->countHaRestart(true);
      }
      event(vm, kube::EventType::Normal, "Done(Success)", seconds(), "already running");
      return;
    }
    auto started = found->start();
    if (started) {
      ha_restarts_++;
      if (metrics_ != nullptr) {
        metrics_->countHaRestart(true);
      }
      log::info("ha restart done", {{"name", domain}, {"attempt", attempt}});
      event(vm, kube::EventType::Normal, "Done(Success)", seconds());
      return;
    }
    last_error = started.error().message;
    log::warn("ha restart attempt failed",
              {{"name", domain}, {"attempt", attempt}, {"err", last_error}});
  }
  ha_failures_++;
  if (metrics_ != nullptr) {
    metrics_->countHaRestart(false);
  }
  log::error("ha restart failed",
             {{"name", domain}, {"attempts", options_.ha_max_tries}, {"err", last_error}});
  event(vm, kube::EventType::Warning, "Done(Failure)", seconds(),
        fmt::format("gave up after {} attempts: {}", options_.ha_max_tries, last_error));
}

void VmSync::event(const kube::Object& vm, kube::EventType type, std::string_view stage,
                   double seconds, std::string_view detail) {
  std::string note = lifecycle::eventNote(vm, kHaOperation, stage, seconds);
  if (!detail.empty()) {
    note += fmt::format(", message:{}", detail);
  }
  events_++;
  if (metrics_ != nullptr) {
    metrics_->countEventWrite();
  }
  auto recorded = recorder_.record(vm, type, kHaReason, note);
  if (!recorded) {
    log::warn("event not recorded",
              {{"name", kube::nameOf(vm)}, {"err", recorded.error().message}});
  }
}

}  // namespace univirt::libvirtwatcher
