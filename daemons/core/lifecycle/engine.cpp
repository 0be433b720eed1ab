#include "core/lifecycle/engine.h"

#include <exception>

#include <fmt/format.h>

#include "core/kube/patch.h"
#include "core/lifecycle/finalizer.h"
#include "core/lifecycle/object_status.h"
#include "core/util/log.h"

namespace univirt::lifecycle {
namespace {

constexpr std::size_t kKnownIdsKept = 4096;
constexpr std::chrono::milliseconds kRetryDelay{500};

std::string workKey(const std::string& kind, const kube::ObjectKey& key) {
  return fmt::format("{}/{}", kind, key.toString());
}

std::string firstKey(const nlohmann::json& lifecycle) {
  if (lifecycle.is_object() && !lifecycle.empty()) {
    return lifecycle.begin().key();
  }
  return {};
}

bool hasRequest(const kube::Object& object) {
  const auto spec = object.find("spec");
  return spec != object.end() && spec->is_object() && spec->contains("lifecycle") &&
         !(*spec)["lifecycle"].is_null();
}

}  // namespace

LifecycleEngine::LifecycleEngine(kube::Client& client, const OperationTable& table,
                                 std::vector<WatchedKind> kinds, EngineOptions options,
                                 util::Clock& clock)
    : client_(client),
      table_(table),
      options_(std::move(options)),
      clock_(clock),
      recorder_(client, kube::EventSource{options_.reporting_controller, options_.node_name}, clock,
                kube::EventApi::EventsV1) {
  for (auto& kind : kinds) {
    kube::ListWatch list_watch{
        .client = &client_,
        .resource = kind.resource,
        .namespace_name = options_.namespace_name,
        .label_selector = fmt::format("{}={}", options_.node_label, options_.node_name),
        .field_selector = {}};
    auto informer =
        std::make_unique<kube::Informer>(std::move(list_watch), std::vector<std::string>{}, clock_);
    informer->setResyncPeriod(options_.resync_period);
    const std::string name = kind.kind;
    informer->addHandlers(kube::EventHandlers{
        .on_add = [this, name](const kube::Object& object) { onObject(name, object); },
        .on_update = [this, name](const kube::Object& /*old_object*/,
                                  const kube::Object& object) { onObject(name, object); },
        .on_delete = [this, name](const kube::Object& object) { onDeleted(name, object); },
    });
    watched_.push_back(Watched{std::move(kind), std::move(informer)});
  }
}

LifecycleEngine::~LifecycleEngine() { stop(); }

void LifecycleEngine::start() {
  queue_ = std::make_unique<KeyedWorkQueue>(options_.workers,
                                            [this](const std::string& key) { process(key); });
  for (auto& watched : watched_) {
    watched.informer->start();
  }
}

void LifecycleEngine::stop() {
  stopping_.request_stop();
  for (auto& watched : watched_) {
    watched.informer->stop();
  }
  if (queue_) {
    queue_->stop();
  }
}

bool LifecycleEngine::hasSynced() const {
  for (const auto& watched : watched_) {
    if (!watched.informer->hasSynced()) {
      return false;
    }
  }
  return true;
}

bool LifecycleEngine::waitForSync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& watched : watched_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!watched.informer->waitForSync(std::max(left, std::chrono::milliseconds(0)))) {
      return false;
    }
  }
  return true;
}

void LifecycleEngine::waitIdle() {
  if (queue_) {
    queue_->waitIdle();
  }
}

EngineStats LifecycleEngine::stats() const {
  return EngineStats{.taken = taken_.load(),
                     .succeeded = succeeded_.load(),
                     .failed = failed_.load(),
                     .refused = refused_.load(),
                     .settled = settled_.load(),
                     .api_writes = api_writes_.load()};
}

const LifecycleEngine::Watched* LifecycleEngine::watchedKind(const std::string& kind) const {
  for (const auto& watched : watched_) {
    if (watched.kind.kind == kind) {
      return &watched;
    }
  }
  return nullptr;
}

void LifecycleEngine::onObject(const std::string& kind, const kube::Object& object) {
  const Watched* watched = watchedKind(kind);
  const bool finalizing =
      watched != nullptr && isDeleting(object) && hasFinalizer(object, watched->kind.finalizer);
  if (!hasRequest(object) && !markerOf(object).has_value() && !finalizing) {
    return;  // the daemons' own writes and plain objects: nothing to do
  }
  if (queue_) {
    queue_->enqueue(workKey(kind, kube::ObjectKey::of(object)));
  }
}

void LifecycleEngine::onDeleted(const std::string& kind, const kube::Object& object) {
  const Watched* watched = watchedKind(kind);
  if (watched == nullptr || !watched->kind.on_deleted || queue_ == nullptr ||
      wasCleanedUp(object)) {
    return;
  }
  const std::string key = workKey(kind, kube::ObjectKey::of(object));
  {
    std::lock_guard lock(mu_);
    deleted_[key] = object;
  }
  queue_->enqueue(key);
}

void LifecycleEngine::process(const std::string& work_key) {
  const auto slash = work_key.find('/');
  const std::string kind = work_key.substr(0, slash);
  const Watched* watched = watchedKind(kind);
  if (watched == nullptr) {
    return;
  }
  const kube::ObjectKey key = kube::ObjectKey::parse(work_key.substr(slash + 1));
  const auto cached = watched->informer->cache().get(key);
  if (cached == nullptr) {
    std::optional<kube::Object> deleted;
    {
      std::lock_guard lock(mu_);
      if (auto it = deleted_.find(work_key); it != deleted_.end()) {
        deleted = std::move(it->second);
        deleted_.erase(it);
      }
    }
    if (deleted.has_value()) {
      processDeleted(*watched, *deleted);
    }
    return;
  }
  if (isStale(work_key, *cached)) {
    return;  // our own write is on its way; its event brings the current state
  }
  if (options_.backend_ready && !options_.backend_ready()) {
    retryLater(work_key);
    return;
  }
  if (auto marker = markerOf(*cached); marker.has_value()) {
    if (!marker->has_value()) {
      refuse(*watched, *cached, "", marker->error().message);
      return;
    }
    if (!isKnownId((*marker)->id) && !settle(*watched, *cached, **marker)) {
      retryLater(work_key);
    }
    return;
  }
  if (isDeleting(*cached) && hasFinalizer(*cached, watched->kind.finalizer)) {
    processFinalize(work_key, *watched, *cached);
    return;
  }
  if (hasRequest(*cached)) {
    processRequest(*watched, *cached);
  }
}

void LifecycleEngine::processRequest(const Watched& watched, const kube::Object& object) {
  const std::string name = kube::nameOf(object);
  const nlohmann::json& lifecycle = object["spec"]["lifecycle"];
  RequestError detail;
  auto request = table_.validate(watched.kind.kind, name, lifecycle, options_.validation, &detail);
  if (!request.has_value()) {
    refuse(watched, object, detail.operation.empty() ? firstKey(lifecycle) : detail.operation,
           request.error().message);
    return;
  }
  const std::string operation = firstKey(lifecycle);
  RequestMarker marker{.operation = operation,
                       .id = newRequestId(),
                       .taken_at = now(),
                       .node = options_.node_name,
                       .request = lifecycle[operation]};
  kube::Object taking = object;
  markTaken(taking, marker);
  if (watched.kind.on_deleted && !isDeleting(taking)) {
    // In the same write as the take: from now on deleting the object cleans up first.
    addFinalizer(taking, watched.kind.finalizer);
  }
  const auto began = std::chrono::steady_clock::now();
  auto taken = client_.update(watched.kind.resource, taking);
  api_writes_++;
  if (!taken.has_value()) {
    // Conflict: the object changed since the cache saw it; its newer event re-queues it.
    log::info("request not taken", {{"kind", watched.kind.kind},
                                    {"object", kube::ObjectKey::of(object).toString()},
                                    {"operation", operation},
                                    {"error", taken.error().message}});
    return;
  }
  taken_++;
  rememberId(marker.id);
  noteReplaced(workKey(watched.kind.kind, kube::ObjectKey::of(object)), object);
  event(*taken, kube::EventType::Normal, operation, "Doing", 0.0);

  if (options_.pause_after_take.count() > 0) {
    (void)clock_.sleepFor(options_.pause_after_take, stopping_.get_token());
  }
  Invocation invocation{.operation = request->operation,
                        .object = *taken,
                        .namespace_name = kube::namespaceOf(object),
                        .name = name,
                        .params = std::move(request->params),
                        .request_id = marker.id};
  util::Result<Outcome> outcome = util::Error{util::ErrorCode::Internal, "handler did not run"};
  try {
    outcome = invocation.operation->handler(invocation);
  } catch (const std::exception& error) {
    outcome = util::Error{util::ErrorCode::Internal,
                          fmt::format("{} failed unexpectedly: {}", operation, error.what())};
  }
  finish(watched, Started{*taken, std::move(marker), began}, invocation, outcome, Phase::Succeeded);
}

void LifecycleEngine::finish(const Watched& watched, const Started& started,
                             const Invocation& invocation, const util::Result<Outcome>& outcome,
                             Phase operation_phase_on_success) {
  const RequestMarker& marker = started.marker;
  const Timing timing = timingSince(marker.taken_at);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started.began).count();

  std::optional<util::Error> failure;
  Refreshed refreshed;
  if (!outcome.has_value()) {
    failure = outcome.error();
  } else if (!outcome->object_deleted && invocation.operation->refresh) {
    auto read_back = invocation.operation->refresh(invocation);
    if (read_back.has_value()) {
      refreshed = std::move(*read_back);
    } else {
      failure = read_back.error().withContext(
          fmt::format("{} succeeded but reading the result back failed", marker.operation));
    }
  }

  if (options_.pause_before_outcome.count() > 0) {
    (void)clock_.sleepFor(options_.pause_before_outcome, stopping_.get_token());
  }
  if (!failure.has_value() && outcome->object_deleted && watched.kind.on_deleted) {
    // The handler cleaned up already: the finalizer must not hold the object, and the
    // DELETED event must not clean up again.
    if (auto released = releaseFinalizer(watched, started.taken); !released) {
      failure = released.error().withContext(
          fmt::format("{} succeeded but releasing the object failed", marker.operation));
    }
  }
  if (!failure.has_value() && outcome->object_deleted) {
    kube::DeleteOptions options;
    options.precondition_uid = kube::uidOf(started.taken);
    auto removed =
        client_.remove(watched.kind.resource, kube::ObjectKey::of(started.taken), options);
    api_writes_++;
    if (!removed.has_value() && removed.error().code != util::ErrorCode::NotFound) {
      failure = removed.error().withContext(
          fmt::format("{} succeeded but deleting the object failed", marker.operation));
    }
  }

  if (failure.has_value()) {
    const std::string reason(failureReason(failure->message));
    auto written = writeOutcome(watched, started.taken, [&](kube::Object& object) {
      recordFailure(object, marker, reason, failure->message, timing);
    });
    failed_++;
    event(started.taken, kube::EventType::Warning, marker.operation, "Done", seconds,
          failure->message);
    log::info("request failed", {{"kind", watched.kind.kind},
                                 {"object", kube::ObjectKey::of(started.taken).toString()},
                                 {"operation", marker.operation},
                                 {"error", failure->message}});
  } else {
    if (!outcome->object_deleted) {
      auto written = writeOutcome(watched, started.taken, [&](kube::Object& object) {
        recordSuccess(object, marker, refreshed, *outcome, timing, operation_phase_on_success);
      });
    }
    succeeded_++;
    event(started.taken, kube::EventType::Normal, marker.operation, "Done", seconds);
  }
}

bool LifecycleEngine::settle(const Watched& watched, const kube::Object& object,
                             const RequestMarker& marker) {
  const std::string name = kube::nameOf(object);
  nlohmann::json lifecycle = {{marker.operation, marker.request}};
  auto request = table_.validate(watched.kind.kind, name, lifecycle, options_.validation);
  Started started{object, marker, std::chrono::steady_clock::now()};
  if (!request.has_value()) {
    rememberId(marker.id);
    settled_++;
    Invocation none{};
    finish(watched, started, none,
           util::Error{util::ErrorCode::Internal,
                       fmt::format("virtctl stopped while running '{}' and the request can no "
                                   "longer be read ({}); it was not re-run",
                                   marker.operation, request.error().message)},
           Phase::Unknown);
    return true;
  }
  Invocation invocation{.operation = request->operation,
                        .object = object,
                        .namespace_name = kube::namespaceOf(object),
                        .name = name,
                        .params = std::move(request->params),
                        .request_id = marker.id};
  Settlement settlement = Settlement::Unknown;
  if (invocation.operation->settle) {
    auto settled = invocation.operation->settle(invocation);
    if (!settled.has_value()) {
      if (settled.error().retryable()) {
        log::info("request cannot be settled yet",
                  {{"operation", marker.operation},
                   {"object", kube::ObjectKey::of(object).toString()},
                   {"error", settled.error().message}});
        return false;
      }
    } else {
      settlement = *settled;
    }
  }
  rememberId(marker.id);
  settled_++;
  switch (settlement) {
    case Settlement::TookEffect:
      finish(watched, started, invocation,
             Outcome{.message = fmt::format("settled after a virtctl restart: '{}' had taken "
                                            "effect",
                                            marker.operation)},
             Phase::Succeeded);
      return true;
    case Settlement::DidNotTakeEffect:
      finish(watched, started, invocation,
             util::Error{util::ErrorCode::Unavailable,
                         fmt::format("virtctl stopped before '{}' finished and it did not take "
                                     "effect; it was not re-run: submit the request again",
                                     marker.operation)},
             Phase::Failed);
      return true;
    case Settlement::Unknown:
      finish(watched, started, invocation,
             Outcome{.message = fmt::format("virtctl stopped while running '{}'; it was not "
                                            "re-run; the object shows the current state",
                                            marker.operation)},
             Phase::Unknown);
      return true;
  }
  return true;
}

void LifecycleEngine::processDeleted(const Watched& watched, const kube::Object& object) {
  auto lifecycle = watched.kind.on_deleted(object);
  if (!lifecycle.has_value()) {
    return;
  }
  const std::string name = kube::nameOf(object);
  const std::string operation = firstKey(*lifecycle);
  auto request = table_.validate(watched.kind.kind, name, *lifecycle, options_.validation);
  if (!request.has_value()) {
    event(object, kube::EventType::Warning, operation, "Done", 0.0, request.error().message);
    return;
  }
  event(object, kube::EventType::Normal, operation, "Doing", 0.0);
  const auto began = std::chrono::steady_clock::now();
  Invocation invocation{.operation = request->operation,
                        .object = object,
                        .namespace_name = kube::namespaceOf(object),
                        .name = name,
                        .params = std::move(request->params),
                        .request_id = newRequestId()};
  auto outcome = invocation.operation->handler(invocation);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (outcome.has_value()) {
    event(object, kube::EventType::Normal, operation, "Done", seconds);
  } else {
    event(object, kube::EventType::Warning, operation, "Done", seconds, outcome.error().message);
  }
}

void LifecycleEngine::refuse(const Watched& watched, const kube::Object& object,
                             const std::string& operation, const std::string& message) {
  refused_++;
  const std::string stamp = now();
  const Timing timing = timingSince(stamp);
  RequestMarker marker{.operation = operation,
                       .id = {},
                       .taken_at = stamp,
                       .node = options_.node_name,
                       .request = {}};
  auto written = writeOutcome(watched, object, [&](kube::Object& current) {
    if (current.contains("spec") && current["spec"].is_object()) {
      current["spec"].erase("lifecycle");
    }
    if (auto existing = markerOf(current); existing.has_value() && !existing->has_value()) {
      current["metadata"]["annotations"].erase(std::string(kOperationAnnotation));
    }
    recordFailure(current, marker, kReasonException, message, timing);
  });
  event(object, kube::EventType::Warning, operation.empty() ? "InvalidRequest" : operation, "Done",
        0.0, message);
  log::info("request refused", {{"kind", watched.kind.kind},
                                {"object", kube::ObjectKey::of(object).toString()},
                                {"operation", operation},
                                {"error", message}});
}

util::Result<kube::Object> LifecycleEngine::writeOutcome(
    const Watched& watched, const kube::Object& object,
    const std::function<void(kube::Object&)>& mutate) {
  const kube::ObjectKey key = kube::ObjectKey::of(object);
  const std::string work_key = workKey(watched.kind.kind, key);
  kube::Object changed = object;
  mutate(changed);
  api_writes_++;
  auto written = client_.update(watched.kind.resource, changed);
  if (written.has_value()) {
    noteReplaced(work_key, object);
    return written;
  }
  if (written.error().code != util::ErrorCode::Conflict) {
    log::error("writing the outcome failed",
               {{"object", key.toString()}, {"error", written.error().message}});
    return written;
  }
  // Somebody else wrote the object meanwhile (libvirtwatcher, the user): apply the same
  // change to the current object.
  written = kube::updateWithRetry(client_, watched.kind.resource, key,
                                  [&](kube::Object& current) -> util::Result<kube::Mutation> {
                                    api_writes_++;
                                    noteReplaced(work_key, current);
                                    mutate(current);
                                    return kube::Mutation::Changed;
                                  });
  if (!written.has_value()) {
    log::error("writing the outcome failed",
               {{"object", key.toString()}, {"error", written.error().message}});
  }
  return written;
}

void LifecycleEngine::event(const kube::Object& object, kube::EventType type,
                            const std::string& operation, const std::string& stage, double seconds,
                            const std::string& detail) {
  std::string note = eventNote(object, operation, stage, seconds);
  if (!detail.empty()) {
    note += fmt::format(", message:{}", detail);
  }
  api_writes_++;
  auto recorded = recorder_.record(object, type, operation, note);
  if (!recorded.has_value()) {
    log::warn("event not recorded",
              {{"operation", operation}, {"error", recorded.error().message}});
  }
}

void LifecycleEngine::retryLater(const std::string& work_key) {
  if (clock_.sleepFor(kRetryDelay, stopping_.get_token()) && queue_) {
    queue_->enqueue(work_key);  // runs again once this call returns
  }
}

bool LifecycleEngine::isStale(const std::string& work_key, const kube::Object& object) {
  std::lock_guard lock(mu_);
  const auto it = superseded_.find(work_key);
  if (it == superseded_.end()) {
    return false;
  }
  if (it->second.contains(kube::resourceVersionOf(object))) {
    return true;
  }
  superseded_.erase(it);  // the cache has caught up with our writes
  return false;
}

void LifecycleEngine::noteReplaced(const std::string& work_key, const kube::Object& replaced) {
  std::lock_guard lock(mu_);
  superseded_[work_key].insert(kube::resourceVersionOf(replaced));
}

void LifecycleEngine::rememberId(const std::string& id) {
  std::lock_guard lock(mu_);
  if (known_ids_.insert(id).second) {
    known_order_.push_back(id);
  }
  while (known_order_.size() > kKnownIdsKept) {
    known_ids_.erase(known_order_.front());
    known_order_.pop_front();
  }
}

bool LifecycleEngine::isKnownId(const std::string& id) {
  std::lock_guard lock(mu_);
  return known_ids_.contains(id);
}

std::string LifecycleEngine::now() const { return kube::formatTimestamp(clock_.wallNow()); }

Timing LifecycleEngine::timingSince(const std::string& started_at) const {
  const auto wall = clock_.wallNow();
  return Timing{
      .started_at = started_at,
      .finished_at = kube::formatTimestamp(wall),
      .finished_epoch_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count()};
}

}  // namespace univirt::lifecycle
