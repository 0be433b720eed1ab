#pragma once

// DomainWatcher: libvirt domain events → VirtualMachine objects (crd-contract.md §6).
//
// It follows the daemon's ReconnectingConnection: whenever a (new) connection is up it
// subscribes to lifecycle events and to the extra events that change what an object shows
// (both core/virt/domain_events.h), then resynchronizes every domain, so nothing
// that happened while the watcher was disconnected (or not running) is lost. When the
// connection goes, the subscriptions go with it.
//
// Event callbacks run on the libvirt EventLoop thread and only record the event in the
// domain's PendingEvents and enqueue the domain's name on a CoalescingQueue. A worker then
// takes the merged PendingEvents and runs VmSync once for the whole burst: the state written
// is the domain's state at that moment (last state wins), and an unchanged state costs no write.
// What it does is counted in WatcherMetrics (watcher_metrics.h), in the daemon's registry.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>

#include <prometheus/registry.h>

#include "core/kube/client.h"
#include "core/util/clock.h"
#include "core/virt/domain_events.h"
#include "core/virt/reconnecting_connection.h"
#include "libvirtwatcher/coalescing_queue.h"
#include "libvirtwatcher/vm_sync.h"
#include "libvirtwatcher/watcher_metrics.h"

namespace univirt::libvirtwatcher {

// A refresh that found libvirt or the API server unreachable is tried again after this long;
// libvirt outages end in a resync anyway, so this only paces retries against the API server.
inline constexpr std::chrono::milliseconds kRetryDelay{1000};

struct WatcherOptions {
  SyncOptions sync;
  std::size_t workers = 4;
  // 50 ms turns a burst (a reboot is ~6 events, a migration ~10) into one or two writes and
  // keeps state changes visible well within the second users expect.
  std::chrono::milliseconds coalesce_window{50};
};

struct WatcherStats {
  std::int64_t events = 0;     // libvirt events received
  std::int64_t refreshes = 0;  // VmSync runs
  std::int64_t writes = 0;     // VirtualMachine updates
  std::int64_t unchanged = 0;  // refreshes that found the object up to date
  std::int64_t skipped = 0;    // other host, other namespace, migrating, no object
  std::int64_t failed = 0;
  std::int64_t resyncs = 0;  // full resynchronizations (one per connection)
  std::int64_t ha_restarts = 0;
  std::int64_t ha_failures = 0;
  std::int64_t api_writes = 0;  // updates + Events
  std::int64_t coalesced = 0;   // events that joined another event's refresh
  std::int64_t reconnects = 0;  // connections subscribed to after the first
  std::int64_t device_files_moved = 0;
  OvnSyncStats ovn = {};  // VM NIC bindings on starts and stops (ovn_port_sync.h)
};

class DomainWatcher {
 public:
  // `client`, `libvirt`, `clock` and `registry` must outlive this object. Without a registry
  // the metrics go to one of the watcher's own (see registry()).
  DomainWatcher(kube::Client& client, virt::ReconnectingConnection& libvirt, WatcherOptions options,
                util::Clock& clock = util::Clock::real(), prometheus::Registry* registry = nullptr);
  ~DomainWatcher();
  DomainWatcher(const DomainWatcher&) = delete;
  DomainWatcher& operator=(const DomainWatcher&) = delete;

  // Follows the connection from now on (subscribes at once if it is already up).
  void start();
  void stop();

  // Subscribed on the current connection and its first resync queued (readiness).
  bool ready() const;
  // Blocks until no refresh waits or runs (tests, benchmarks).
  void waitIdle();
  WatcherStats stats() const;
  // Where the metrics are registered.
  prometheus::Registry& registry() { return registry_; }

 private:
  void onConnectionStatus(const virt::ConnectionStatus& status);
  void follow();
  void unsubscribe();
  void resync(const virt::Connection& connection);
  void onLifecycle(const virt::DomainLifecycleEvent& event);
  void onExtra(const virt::DomainExtraEvent& event);
  void note(const std::string& domain, const PendingEvents& pending);
  void process(const std::string& domain);

  virt::ReconnectingConnection& libvirt_;
  const WatcherOptions options_;
  util::Clock& clock_;
  std::unique_ptr<prometheus::Registry> own_registry_;  // when none was given
  prometheus::Registry& registry_;
  WatcherMetrics metrics_;
  VmSync sync_;

  // Serializes follow()/unsubscribe() (listener thread and start()); held across the libvirt
  // registration calls, never taken by event callbacks or workers.
  std::mutex subscribe_mu_;
  virConnectPtr subscribed_to_ = nullptr;                      // guarded by subscribe_mu_
  std::optional<virt::DomainEventSubscription> lifecycle_;     // guarded by subscribe_mu_
  std::optional<virt::DomainExtraEventSubscriptions> extras_;  // guarded by subscribe_mu_
  bool subscribed_once_ = false;                               // guarded by subscribe_mu_
  std::atomic<bool> ready_{false};

  std::mutex pending_mu_;
  std::unordered_map<std::string, PendingEvents> pending_;  // guarded by pending_mu_

  std::atomic<std::int64_t> events_{0};
  std::atomic<std::int64_t> refreshes_{0};
  std::atomic<std::int64_t> unchanged_{0};
  std::atomic<std::int64_t> skipped_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> resyncs_{0};
  std::atomic<std::int64_t> coalesced_{0};
  std::atomic<std::int64_t> reconnects_{0};

  std::stop_source stopping_;
  bool started_ = false;  // start()/stop() only, from the owner's thread
  int listener_id_ = -1;
  std::unique_ptr<CoalescingQueue> queue_;  // last: workers stop before the state they use
};

}  // namespace univirt::libvirtwatcher
