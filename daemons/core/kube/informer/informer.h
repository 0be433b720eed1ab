#pragma once

// Informer: a Reflector on its own thread plus the ObjectCache it fills, for one resource
// (client-go's SharedIndexInformer, without the sharing).
//
// Contract (see reflector.h for the list/watch/relist rules):
//   - Register handlers with addHandlers() before start(); they run on the informer's thread
//     (resync rounds: on its resync thread), one call at a time, after the cache reflects the
//     event, in the order the server produced the changes.
//     Every change is delivered once; after a 410 relist, objects deleted in the meantime are
//     delivered to on_delete with their last known state.
//   - Optional periodic resync (client-go's resyncPeriod; off unless setResyncPeriod() is
//     called): every period, counted on the Clock from the first sync and then from the end of
//     the previous round, every cached object is delivered to on_update with old == new, so a
//     controller re-checks what it may have missed. A round never overlaps event delivery.
//   - hasSynced() turns true once the first complete list is in the cache and its add events
//     were delivered; /readyz waits for it. It never turns false again.
//   - cache() may be read from any thread at any time.
//   - stop() (or the destructor) ends the threads at once: it cancels a blocked watch or an
//     in-flight list, and ends a resync round between two objects.

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/kube/informer/list_watch.h"
#include "core/kube/informer/object_cache.h"
#include "core/kube/informer/reflector.h"
#include "core/util/clock.h"

namespace univirt::kube {

class Informer {
 public:
  // `indexed_labels`: label keys to index the cache by (e.g. {"host"}).
  explicit Informer(ListWatch list_watch, std::vector<std::string> indexed_labels = {},
                    util::Clock& clock = util::Clock::real());
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void addHandlers(EventHandlers handlers);
  // 0 (the default) turns resync off. Set before start().
  void setResyncPeriod(util::Clock::Duration period);
  void start();
  void stop();

  bool hasSynced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;
  const ObjectCache& cache() const { return cache_; }
  Reflector::Stats stats() const;

 private:
  void resyncLoop(Reflector& reflector, std::stop_token stop);

  ListWatch list_watch_;
  util::Clock& clock_;
  ObjectCache cache_;
  std::vector<EventHandlers> handlers_;
  util::Clock::Duration resync_period_{0};
  std::unique_ptr<Reflector> reflector_;
  std::jthread thread_;
  std::jthread resync_thread_;  // only with a resync period
};

}  // namespace univirt::kube
