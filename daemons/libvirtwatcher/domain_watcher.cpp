#include "libvirtwatcher/domain_watcher.h"

#include <memory>
#include <utility>

#include "core/util/log.h"

namespace univirt::libvirtwatcher {

namespace {

std::unique_ptr<prometheus::Registry> ownRegistryUnless(const prometheus::Registry* given) {
  return given != nullptr ? nullptr : std::make_unique<prometheus::Registry>();
}

}  // namespace

DomainWatcher::DomainWatcher(kube::Client& client, virt::ReconnectingConnection& libvirt,
                             WatcherOptions options, util::Clock& clock,
                             prometheus::Registry* registry)
    : libvirt_(libvirt),
      options_(std::move(options)),
      clock_(clock),
      own_registry_(ownRegistryUnless(registry)),
      registry_(registry != nullptr ? *registry : *own_registry_),
      metrics_(registry_),
      sync_(
          client, [&libvirt] { return libvirt.connection(); }, options_.sync, clock, &metrics_) {}

DomainWatcher::~DomainWatcher() { stop(); }

void DomainWatcher::start() {
  if (started_) {
    return;
  }
  started_ = true;
  queue_ = std::make_unique<CoalescingQueue>(options_.workers, options_.coalesce_window,
                                             [this](const std::string& key) { process(key); });
  listener_id_ = libvirt_.addListener(
      [this](const virt::ConnectionStatus& status) { onConnectionStatus(status); });
  if (libvirt_.status().state == virt::ConnectionState::Connected) {
    follow();
  }
}

void DomainWatcher::stop() {
  if (!started_) {
    return;
  }
  started_ = false;
  stopping_.request_stop();
  libvirt_.removeListener(listener_id_);
  unsubscribe();
  // The queue object stays until the destructor: an event being delivered while the
  // subscriptions went away may still enqueue (a no-op once stopped).
  queue_->stop();
}

bool DomainWatcher::ready() const { return ready_.load(); }

void DomainWatcher::waitIdle() {
  if (queue_) {
    queue_->waitIdle();
  }
}

WatcherStats DomainWatcher::stats() const {
  const SyncStats sync = sync_.stats();
  return WatcherStats{.events = events_.load(),
                      .refreshes = refreshes_.load(),
                      .writes = sync.writes,
                      .unchanged = unchanged_.load(),
                      .skipped = skipped_.load(),
                      .failed = failed_.load(),
                      .resyncs = resyncs_.load(),
                      .ha_restarts = sync.ha_restarts,
                      .ha_failures = sync.ha_failures,
                      .api_writes = sync.writes + sync.events,
                      .coalesced = coalesced_.load(),
                      .reconnects = reconnects_.load(),
                      .device_files_moved = sync.device_files_moved,
                      .ovn = sync.ovn};
}

void DomainWatcher::onConnectionStatus(const virt::ConnectionStatus& status) {
  if (status.state == virt::ConnectionState::Connected) {
    follow();
    return;
  }
  unsubscribe();
}

void DomainWatcher::follow() {
  auto connection = libvirt_.connection();
  if (!connection) {
    return;  // lost again already; the next Connected status brings us back
  }
  std::lock_guard lock(subscribe_mu_);
  if (subscribed_to_ == (*connection)->get()) {
    return;
  }
  lifecycle_.reset();
  extras_.reset();
  ready_ = false;
  auto lifecycle = virt::DomainEventSubscription::lifecycle(
      **connection, [this](const virt::DomainLifecycleEvent& event) { onLifecycle(event); });
  if (!lifecycle) {
    log::error("libvirt events not subscribed",
               {{"uri", (*connection)->uri()}, {"err", lifecycle.error().message}});
    libvirt_.markLost(**connection, lifecycle.error());
    return;
  }
  lifecycle_.emplace(std::move(*lifecycle));
  auto extras = virt::DomainExtraEventSubscriptions::subscribe(
      **connection, [this](const virt::DomainExtraEvent& event) { onExtra(event); });
  if (extras) {
    extras_.emplace(std::move(*extras));
  } else {
    // Lifecycle events carry the power state; the extras only refresh .spec.domain sooner.
    log::warn("libvirt extra events not subscribed",
              {{"uri", (*connection)->uri()}, {"err", extras.error().message}});
  }
  subscribed_to_ = (*connection)->get();
  if (subscribed_once_) {
    reconnects_++;
    metrics_.countReconnect();
  }
  subscribed_once_ = true;
  resync(**connection);
  ready_ = true;
}

void DomainWatcher::unsubscribe() {
  std::lock_guard lock(subscribe_mu_);
  ready_ = false;
  lifecycle_.reset();
  extras_.reset();
  subscribed_to_ = nullptr;
}

void DomainWatcher::resync(const virt::Connection& connection) {
  auto domains = connection.listAllDomains();
  if (!domains) {
    log::warn("libvirt resync failed",
              {{"uri", connection.uri()}, {"err", domains.error().message}});
    return;
  }
  resyncs_++;
  metrics_.countResync();
  log::info("libvirt resync",
            {{"uri", connection.uri()}, {"domains", static_cast<std::int64_t>(domains->size())}});
  PendingEvents resync_only;
  resync_only.resync = true;
  for (const auto& domain : *domains) {
    note(domain.name(), resync_only);
  }
}

void DomainWatcher::onLifecycle(const virt::DomainLifecycleEvent& event) {
  events_++;
  metrics_.countEvent(virt::domainEventTypeName(event.type));
  log::debug("domain event", {{"domain", event.domain},
                              {"event", virt::domainEventTypeName(event.type)},
                              {"detail", event.detail}});
  PendingEvents pending;
  pending.add(event);
  pending.first_event = clock_.now();
  note(event.domain, pending);
}

void DomainWatcher::onExtra(const virt::DomainExtraEvent& event) {
  events_++;
  metrics_.countEvent(virt::domainExtraEventTypeName(event.type));
  log::debug("domain event", {{"domain", event.domain},
                              {"event", virt::domainExtraEventTypeName(event.type)},
                              {"detail", event.detail}});
  PendingEvents pending;
  pending.count = 1;
  pending.first_event = clock_.now();
  note(event.domain, pending);
}

void DomainWatcher::note(const std::string& domain, const PendingEvents& pending) {
  if (domain.empty()) {
    return;
  }
  {
    std::lock_guard lock(pending_mu_);
    pending_[domain].merge(pending);
  }
  if (queue_) {
    queue_->enqueue(domain);
  }
}

void DomainWatcher::process(const std::string& domain) {
  PendingEvents pending;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(domain);
    if (it == pending_.end()) {
      return;  // already taken by the run before this one
    }
    pending = it->second;
    pending_.erase(it);
  }
  refreshes_++;
  if (pending.count > 1) {
    coalesced_ += pending.count - 1;
    metrics_.countCoalesced(pending.count - 1);
  }
  const SyncResult result = sync_.sync(domain, pending, stopping_.get_token());
  metrics_.countRefresh(result);
  switch (result) {
    case SyncResult::Written:
      if (pending.first_event != util::Clock::TimePoint{}) {
        metrics_.observeEventToWrite(clock_.now() - pending.first_event);
      }
      break;
    case SyncResult::NoDomain:
      break;
    case SyncResult::Unchanged:
      unchanged_++;
      break;
    case SyncResult::NoObject:
    case SyncResult::OtherNamespace:
    case SyncResult::OtherHost:
    case SyncResult::Migrating:
      skipped_++;
      log::debug("domain skipped", {{"domain", domain}, {"why", syncResultName(result)}});
      break;
    case SyncResult::Failed:
      failed_++;
      break;
    case SyncResult::Retry:
      // libvirt down: the resync after the reconnect covers the domain. Otherwise the API
      // server is: keep what happened and look again.
      if (libvirt_.status().state != virt::ConnectionState::Connected) {
        break;
      }
      if (clock_.sleepFor(kRetryDelay, stopping_.get_token())) {
        PendingEvents again = pending;
        again.count = 0;  // counted (and coalesced) already
        note(domain, again);
      }
      break;
  }
}

}  // namespace univirt::libvirtwatcher
