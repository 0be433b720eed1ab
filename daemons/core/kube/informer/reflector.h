#pragma once

// Reflector: keeps an ObjectCache equal to the server's state of one ListWatch and tells
// handlers about every change, in the order the server made them (client-go's
// tools/cache/reflector.go, same contract in fewer lines).
//
//   1. List (paginated) at the most recent state. The cache is replaced by the result;
//      objects that vanished since the last list are reported as deleted (with their last
//      known state), new ones as added, changed ones (new resourceVersion) as updated.
//   2. Watch from the list's resourceVersion with allowWatchBookmarks and a random 5–10 min
//      timeoutSeconds. Every event updates the cache, then the handlers; BOOKMARKs only move
//      the resourceVersion.
//   3. When the watch ends cleanly (server timeout, dropped stream), watch again from the last
//      resourceVersion seen: nothing is replayed and nothing is missed.
//      410 Gone (history compacted) → back to 1. Connection errors → back off, then 2 again.
//      Any other error → back off, then 1.
// Nothing spins: every failure, and every watch that ends within kMinHealthyWatch having
// delivered nothing, waits for the next backoff delay (800 ms doubling to 30 s, jittered);
// a list that succeeds or a watch that delivers events resets the backoff.
//
// Handlers run on the reflector's thread, after the cache was updated, one event at a time;
// they must be quick (enqueue an ObjectKey, as sample-controller does). A handler that throws
// is logged and does not stop the reflector. resync() (called by the Informer's resync thread)
// delivers the whole cache as updates; it excludes event delivery, so handlers never run
// concurrently and a resync never shows a cached change whose own event is still to come.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include "core/kube/informer/list_watch.h"
#include "core/kube/informer/object_cache.h"
#include "core/util/backoff.h"
#include "core/util/clock.h"

namespace univirt::kube {

struct EventHandlers {
  std::function<void(const Object& object)> on_add;
  std::function<void(const Object& old_object, const Object& new_object)> on_update;
  // The object's last state: from the DELETED event, or the cached copy when the delete was
  // only noticed by a relist.
  std::function<void(const Object& last_known)> on_delete;
};

class Reflector {
 public:
  // client-go: minWatchTimeout; each watch asks for a random timeout in [5, 10) minutes so
  // that many clients do not reconnect together.
  static constexpr std::chrono::minutes kMinWatchTimeout{5};
  // client-go's reflector backoff: 800 ms initial, 30 s cap, factor 2. Jitter 0.5 here
  // (util::Backoff's jitter is symmetric; client-go's 1.0 only ever lengthens delays).
  static constexpr util::BackoffPolicy kBackoff{std::chrono::milliseconds(800),
                                                std::chrono::milliseconds(30'000), 2.0, 0.5};
  // A watch that ends sooner than this having delivered nothing counts as a failure, so a
  // server that closes every watch at once is not hammered.
  static constexpr std::chrono::seconds kMinHealthyWatch{1};

  struct Stats {
    std::uint64_t lists = 0;
    std::uint64_t watches = 0;
    std::uint64_t events = 0;   // ADDED/MODIFIED/DELETED applied from watches
    std::uint64_t resyncs = 0;  // resync() rounds delivered
  };

  Reflector(ListWatch list_watch, ObjectCache& cache, std::vector<EventHandlers> handlers,
            util::Clock& clock);

  // Runs until `stop` is requested.
  void run(std::stop_token stop);

  bool hasSynced() const { return synced_.load(); }
  // Blocks until the first list was applied or `timeout` passed.
  bool waitForSync(std::chrono::milliseconds timeout) const;
  // Blocks until the first list was applied or `stop` was requested.
  bool waitForSync(std::stop_token stop) const;
  // Delivers every cached object to on_update with old == new (client-go's resync), in key
  // order, unless `stop` is requested meanwhile. Any thread; a no-op before the first list.
  void resync(std::stop_token stop);
  std::string lastResourceVersion() const;
  Stats stats() const;

 private:
  util::Status listAndReplace(std::stop_token stop);
  // Applies one watch event; returns false for events that carry no change.
  bool apply(const WatchEvent& event);
  void notifyAdd(const Object& object);
  void notifyUpdate(const Object& old_object, const Object& new_object);
  void notifyDelete(const Object& object);
  void setResourceVersion(std::string resource_version);

  const ListWatch list_watch_;
  ObjectCache& cache_;
  const std::vector<EventHandlers> handlers_;
  util::Clock& clock_;
  std::mt19937_64 rng_;  // used by the run() thread only

  // Held while a change is applied to the cache and delivered, and during a resync: handlers
  // see the cache's changes one at a time and in order. Taken before mu_, never after it.
  std::mutex dispatch_mu_;
  std::atomic<bool> synced_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable_any synced_cv_;  // guarded by mu_
  std::string resource_version_;                   // guarded by mu_
  Stats stats_;                                    // guarded by mu_
};

}  // namespace univirt::kube
