#pragma once

// VmSync: brings one VirtualMachine up to date with its libvirt domain after a burst of domain
// events (crd-contract.md §6), and restarts domains labelled `ha` that stopped unexpectedly.
//
//   1. The domain is looked up; gone (undefined) → the watcher never creates or deletes
//      VirtualMachines (deleteVM does); when the burst ended in Undefined/Removed, the domain's
//      device files move out of the devices directory as upstream's (device_files.h).
//   2. Its VirtualMachine is the one named after it in the namespace that owns it (virtctl's
//      ownership record, else the home namespace). Missing → nothing.
//   3. Objects of other hosts, and domains being migrated (a migrateVM request pending or
//      running, or the last event came from a migration) are left alone.
//   4. Otherwise virtctl's refreshVm (the same read-back a request gets) is written with one
//      conditional update, re-read and retried on conflict — and not written at all when the
//      object already shows that state.
//   5. With OVN on (ovn_port_sync.h), after a successful refresh: a Started event (or a resync
//      finding the domain running) binds the domain's recorded NICs again; a Stopped event
//      that is neither a migration nor followed by an HA restart detaches their ports and keeps
//      the records.
//   6. A Stopped event that univirt did not ask for (no stop/delete/save/migrate request pending,
//      running or last), on an object labelled `ha`, with the domain still not running: start
//      it, at most `ha_max_tries` times `ha_retry_delay` apart, with upstream's Events
//      (reason Stopped, operation startVMbyHA, Doing then Done).
// Errors of libvirt while reading the domain, and an update the API server refuses (too large,
// invalid), are written as upstream's report_failure (waiting reason VirtletError) with a
// Warning Event of that reason; unreachable libvirt or API server come back as Retry.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/kube/client.h"
#include "core/kube/events.h"
#include "core/util/clock.h"
#include "core/virt/domain_events.h"
#include "libvirtwatcher/ovn_port_sync.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::libvirtwatcher {

// What happened to one domain since its last refresh (merged; the last event wins).
struct PendingEvents {
  int count = 0;  // every event, lifecycle or extra
  // The last lifecycle event; Unknown when the burst had none (extra events, resync).
  virt::DomainEventType last_type = virt::DomainEventType::Unknown;
  int last_detail = 0;
  bool last_migrated = false;  // the last event's detail was Migrated
  bool stopped = false;        // a Stopped event not caused by migration, save or snapshot
  bool resync = false;         // queued by a full resync, not by an event
  bool undefined = false;      // the last lifecycle event was Undefined/Removed
  // When the burst's first event arrived (the epoch when none did: resync only); the
  // event-to-write latency is measured from here.
  util::Clock::TimePoint first_event = {};

  void add(const virt::DomainLifecycleEvent& event);
  void merge(const PendingEvents& later);
};

enum class SyncResult {
  Written,
  Unchanged,
  NoDomain,        // undefined: nothing to do
  NoObject,        // no VirtualMachine for the domain: never created by the watcher
  OtherNamespace,  // owned by a namespace this watcher does not serve
  OtherHost,
  Migrating,
  Failed,  // logged (and written as VirtletError when the object could take it)
  Retry,   // libvirt or the API server unreachable: try again later
};
std::string_view syncResultName(SyncResult result);

struct SyncOptions {
  std::string node_name;
  std::string namespace_name = {};  // empty: every namespace
  std::string home_namespace = "default";
  int ha_max_tries = 3;
  std::chrono::milliseconds ha_retry_delay{3000};
  // Undefined domains' device files move from devices_dir to undefined_devices_dir (§6 step 1);
  // an empty devices_dir moves nothing.
  std::string devices_dir = "/var/lib/libvirt/devices";
  std::string undefined_devices_dir = "/tmp";
  // OVN (ovn_port_sync.h): the northbound and Open_vSwitch endpoints ("unix:PATH" or
  // "tcp:HOST:PORT"); an empty northbound turns it off.
  std::string ovn_northbound = {};
  std::string ovs_db = {};
};

struct SyncStats {
  std::int64_t writes = 0;  // VirtualMachine updates
  std::int64_t events = 0;  // Events recorded
  std::int64_t ha_restarts = 0;
  std::int64_t ha_failures = 0;
  std::int64_t device_files_moved = 0;
  OvnSyncStats ovn = {};
};

class WatcherMetrics;

class VmSync {
 public:
  // `client`, `connect`'s source, `clock` and `metrics` (if any) must outlive this object.
  VmSync(kube::Client& client, virtctl::ConnectionProvider connect, SyncOptions options,
         util::Clock& clock = util::Clock::real(), WatcherMetrics* metrics = nullptr);

  SyncResult sync(const std::string& domain, const PendingEvents& pending,
                  const std::stop_token& stop);
  SyncStats stats() const;

 private:
  SyncResult writeFailure(const kube::ObjectKey& key, const std::string& message);
  void moveDeviceFilesOf(const std::string& domain);
  void restartForHa(const kube::Object& vm, const std::string& domain, const std::stop_token& stop);
  void event(const kube::Object& vm, kube::EventType type, std::string_view stage, double seconds,
             std::string_view detail = {});

  kube::Client& client_;
  const SyncOptions options_;
  util::Clock& clock_;
  virtctl::VmOperationDeps deps_;
  kube::EventRecorder recorder_;
  OvnPortSync ovn_;
  WatcherMetrics* metrics_;
  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> events_{0};
  std::atomic<std::int64_t> ha_restarts_{0};
  std::atomic<std::int64_t> ha_failures_{0};
  std::atomic<std::int64_t> device_files_moved_{0};
};

}  // namespace univirt::libvirtwatcher
