#pragma once

// The lifecycle engine: watches the contract's kinds for objects of this node, and carries out
// each `spec.lifecycle` request exactly once as the user sees it (design.md "Contracts"):
//   1. validate against the operation table; a bad request is refused with the upstream failure
//      shape and a Warning Event, nothing runs;
//   2. take it: ONE conditional update removes spec.lifecycle and sets the marker annotation;
//   3. Event Doing; run the handler; refresh; write the outcome in one update; Event Done.
// A marker found without a request in flight here was left by a crashed virtctl: it is settled
// from the backend's state by the operation's Settle function, never re-run.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/kube/client.h"
#include "core/kube/events.h"
#include "core/kube/informer/informer.h"
#include "core/lifecycle/keyed_work_queue.h"
#include "core/lifecycle/object_status.h"
#include "core/lifecycle/operation_table.h"
#include "core/lifecycle/request_marker.h"
#include "core/util/clock.h"

namespace univirt::lifecycle {

struct WatchedKind {
  std::string kind;            // "VirtualMachine"
  kube::ResourceRef resource;  // doslab.io/v1 virtualmachines
  // Upstream turns a DELETED event into a request (deleteDisk, deletePool…) so that `kubectl
  // delete` cleans up the backend. Returns the lifecycle to run, or nullopt.
  std::function<std::optional<nlohmann::json>(const kube::Object&)> on_deleted = {};
  // Non-empty (with on_deleted): the take adds this finalizer, so `kubectl delete` leaves the
  // object (with a deletionTimestamp) until on_deleted's request has cleaned up the backend;
  // only then is the finalizer removed and the object goes. A failed cleanup keeps the object
  // and is retried at the next resync.
  std::string finalizer = {};
};

struct EngineOptions {
  std::string node_name;
  std::string namespace_name;  // empty: every namespace
  std::string node_label = "host";
  std::size_t workers = 4;
  ValidationContext validation;
  std::string reporting_controller = "Virtctl";
  // Re-delivers every object this often so that a request whose take failed for a transient
  // reason is retried; 0 disables.
  std::chrono::seconds resync_period{30};
  // While this returns false (libvirt not connected yet) nothing is taken or settled; the
  // object is looked at again shortly. Empty: always ready.
  std::function<bool()> backend_ready = {};
  // Crash tests only: sleep after the take / before the outcome write, so a test can kill -9
  // virtctl at exactly those points. Zero (the default) in production.
  std::chrono::milliseconds pause_after_take{0};
  std::chrono::milliseconds pause_before_outcome{0};
};

struct EngineStats {
  std::int64_t taken = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t refused = 0;
  std::int64_t settled = 0;
  std::int64_t api_writes = 0;  // object updates/deletes and Events this engine sent
};

class LifecycleEngine {
 public:
  LifecycleEngine(kube::Client& client, const OperationTable& table, std::vector<WatchedKind> kinds,
                  EngineOptions options, util::Clock& clock = util::Clock::real());
  ~LifecycleEngine();
  LifecycleEngine(const LifecycleEngine&) = delete;
  LifecycleEngine& operator=(const LifecycleEngine&) = delete;

  void start();
  void stop();

  bool hasSynced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;
  // Blocks until no request is queued or running (tests, benchmarks).
  void waitIdle();
  EngineStats stats() const;

 private:
  struct Watched {
    WatchedKind kind;
    std::unique_ptr<kube::Informer> informer;
  };
  struct Started {
    kube::Object taken;  // as stored after the take
    RequestMarker marker;
    std::chrono::steady_clock::time_point began;
  };

  void onObject(const std::string& kind, const kube::Object& object);
  void onDeleted(const std::string& kind, const kube::Object& object);
  void process(const std::string& work_key);
  void processRequest(const Watched& watched, const kube::Object& object);
  void processDeleted(const Watched& watched, const kube::Object& object);
  // A deleting object still holding the kind's finalizer (engine_finalizer.cpp).
  void processFinalize(const std::string& work_key, const Watched& watched,
                       const kube::Object& object);
  // Removes the kind's finalizer from the stored object; the uid is remembered so that its
  // DELETED event does not run the cleanup a second time.
  util::Status releaseFinalizer(const Watched& watched, const kube::Object& object);
  bool wasCleanedUp(const kube::Object& object);
  // False when the backend could not tell (yet): the marker stays and is retried.
  bool settle(const Watched& watched, const kube::Object& object, const RequestMarker& marker);
  void refuse(const Watched& watched, const kube::Object& object, const std::string& operation,
              const std::string& message);
  void finish(const Watched& watched, const Started& started, const Invocation& invocation,
              const util::Result<Outcome>& outcome, Phase operation_phase_on_success);

  // Writes `mutate` applied to `object`, conditional on its resourceVersion; on 409 re-reads
  // and retries. Returns the stored object.
  util::Result<kube::Object> writeOutcome(const Watched& watched, const kube::Object& object,
                                          const std::function<void(kube::Object&)>& mutate);
  void event(const kube::Object& object, kube::EventType type, const std::string& operation,
             const std::string& stage, double seconds, const std::string& detail = {});

  // Looks at `work_key` again after a short pause (the backend is not ready yet).
  void retryLater(const std::string& work_key);
  bool isStale(const std::string& work_key, const kube::Object& object);
  void noteReplaced(const std::string& work_key, const kube::Object& replaced);
  // Ids of requests this run took or settled: a marker with one of them in a stale cache copy
  // is ours, not a crashed virtctl's. The oldest are forgotten beyond kKnownIdsKept.
  void rememberId(const std::string& id);
  bool isKnownId(const std::string& id);
  Timing timingSince(const std::string& started_at) const;
  std::string now() const;
  const Watched* watchedKind(const std::string& kind) const;

  kube::Client& client_;
  const OperationTable& table_;
  const EngineOptions options_;
  util::Clock& clock_;
  kube::EventRecorder recorder_;
  std::vector<Watched> watched_;

  std::mutex mu_;
  std::map<std::string, std::set<std::string>> superseded_;  // guarded by mu_: key → old RVs
  std::unordered_set<std::string> known_ids_;                // guarded by mu_: ours, this run
  std::deque<std::string> known_order_;                      // guarded by mu_
  std::map<std::string, kube::Object> deleted_;              // guarded by mu_: pending cleanups
  std::set<std::string> cleaned_up_;  // guarded by mu_: uids whose backend cleanup already ran

  std::atomic<std::int64_t> taken_{0};
  std::atomic<std::int64_t> succeeded_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> refused_{0};
  std::atomic<std::int64_t> settled_{0};
  std::atomic<std::int64_t> api_writes_{0};

  std::stop_source stopping_;
  std::unique_ptr<KeyedWorkQueue> queue_;  // last: workers stop before the state they use
};

}  // namespace univirt::lifecycle
