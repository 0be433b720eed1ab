#pragma once

// WatchHub: the in-memory event history every watch reads from. The store publishes one
// event per write, in resourceVersion order, while holding its write lock; watchers wait on
// a condition variable and read the events after their cursor. History is a bounded window:
// a watch that starts (or falls) before its oldest event gets 410 Expired, as a compacted etcd
// would answer. Fault injection can compact the window or end every open watch.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace univirt::kubelite {

struct WatchEvent {
  int64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string storage_key;
  std::string ns;
  nlohmann::json object;
  nlohmann::json previous;  // state before the write (null for ADDED)
  std::string object_json;  // object.dump(), made once for every watcher
};

using WatchEventPtr = std::shared_ptr<const WatchEvent>;

class WatchHub {
 public:
  explicit WatchHub(size_t capacity);

  // Called by the store with its write lock held, so events arrive in RV order.
  void publish(WatchEvent event);
  // Sets the first RV the history can serve (startup: the store's current RV).
  void resetWindow(int64_t current_rv);

  struct Poll {
    std::vector<WatchEventPtr> events;
    bool expired = false;  // cursor is older than the window
    bool closed = false;   // hub shut down or watches dropped
    int64_t current_rv = 0;
  };
  // Events with rv > after, waiting until `deadline` for at least one. `generation` is the
  // value of dropGeneration() when the watch started.
  Poll wait(int64_t after, std::chrono::steady_clock::time_point deadline, uint64_t generation);

  // True when a watch may start at `rv` (rv is not older than the window).
  bool servable(int64_t rv) const;
  int64_t oldestServable() const;
  uint64_t dropGeneration() const;

  void compact();   // forget the history: every cursor before now gets 410
  void dropAll();   // end every open watch
  void shutdown();  // end every open watch, for good

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<WatchEventPtr> history_;  // guarded by mu_
  int64_t window_start_ = 0;           // guarded by mu_: watches from rv >= this are servable
  int64_t latest_rv_ = 0;              // guarded by mu_
  uint64_t generation_ = 0;            // guarded by mu_
  bool shut_down_ = false;             // guarded by mu_
};

}  // namespace univirt::kubelite
