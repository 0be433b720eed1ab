#pragma once

// Informer: a Reflector on its own thread plus the ObjectCache it fills, for one resource
// (client-go's SharedIndexInformer, without the sharing).
//
// Contract (see reflector.h for the list/watch/relist rules):
//   - Register handlers with addHandlers() before start(); they run on the informer's thread,
//     after the cache reflects the event, in the order the server produced the changes.
//     Every change is delivered once; after a 410 relist, objects deleted in the meantime are
//     delivered to on_delete with their last known state.
//   - hasSynced() turns true once the first complete list is in the cache and its add events
//     were delivered; /readyz waits for it. It never turns false again.
//   - cache() may be read from any thread at any time.
//   - stop() (or the destructor) ends the thread: it cancels a blocked watch at once.

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
  void start();
  void stop();

  bool hasSynced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;
  const ObjectCache& cache() const { return cache_; }
  Reflector::Stats stats() const;

 private:
  ListWatch list_watch_;
  util::Clock& clock_;
  ObjectCache cache_;
  std::vector<EventHandlers> handlers_;
  std::unique_ptr<Reflector> reflector_;
  std::jthread thread_;
};

}  // namespace univirt::kube
