// LifecycleEngine: the cleanup finalizer (WatchedKind::finalizer). `kubectl delete` of an
// object that holds it only sets its deletionTimestamp; the engine then runs the request the
// kind's on_deleted synthesises (deleteDisk, deletePool …) and removes the finalizer once that
// succeeded, so the object never vanishes while its backend storage is still there.

#include <fmt/format.h>

#include "core/kube/patch.h"
#include "core/lifecycle/engine.h"
#include "core/lifecycle/finalizer.h"
#include "core/util/log.h"

namespace univirt::lifecycle {

bool LifecycleEngine::wasCleanedUp(const kube::Object& object) {
  std::lock_guard lock(mu_);
  return cleaned_up_.erase(kube::uidOf(object)) > 0;
}

util::Status LifecycleEngine::releaseFinalizer(const Watched& watched, const kube::Object& object) {
  {
    std::lock_guard lock(mu_);
    cleaned_up_.insert(kube::uidOf(object));
  }
  const std::string& finalizer = watched.kind.finalizer;
  if (finalizer.empty()) {
    return util::ok();
  }
  const std::string uid = kube::uidOf(object);
  auto released = kube::updateWithRetry(
      client_, watched.kind.resource, kube::ObjectKey::of(object),
      [&](kube::Object& current) -> util::Result<kube::Mutation> {
        if (kube::uidOf(current) != uid || !removeFinalizer(current, finalizer)) {
          return kube::Mutation::Unchanged;
        }
        api_writes_++;
        return kube::Mutation::Changed;
      });
  if (!released && released.error().code != util::ErrorCode::NotFound) {
    return released.error();
  }
  return util::ok();
}

void LifecycleEngine::processFinalize(const std::string& work_key, const Watched& watched,
                                      const kube::Object& object) {
  const std::string name = kube::nameOf(object);
  std::optional<nlohmann::json> lifecycle;
  if (watched.kind.on_deleted) {
    lifecycle = watched.kind.on_deleted(object);
  }
  if (!lifecycle.has_value()) {
    (void)releaseFinalizer(watched, object);
    return;
  }
  const std::string operation =
      lifecycle->is_object() && !lifecycle->empty() ? lifecycle->begin().key() : std::string();
  auto request = table_.validate(watched.kind.kind, name, *lifecycle, options_.validation);
  if (!request.has_value()) {
    event(object, kube::EventType::Warning, operation, "Done", 0.0,
          fmt::format("the storage behind this object cannot be cleaned up ({}); the object is "
                      "kept: clean up by hand, then remove the finalizer '{}'",
                      request.error().message, watched.kind.finalizer));
    return;
  }
  if (options_.backend_ready && !options_.backend_ready()) {
    retryLater(work_key);
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
  util::Result<Outcome> outcome = util::Error{util::ErrorCode::Internal, "handler did not run"};
  try {
    outcome = invocation.operation->handler(invocation);
  } catch (const std::exception& error) {
    outcome = util::Error{util::ErrorCode::Internal,
                          fmt::format("{} failed unexpectedly: {}", operation, error.what())};
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (outcome.has_value()) {
    outcome = [&]() -> util::Result<Outcome> {
      if (auto released = releaseFinalizer(watched, object); !released) {
        return released.error();
      }
      return *outcome;
    }();
  }
  if (outcome.has_value()) {
    succeeded_++;
    event(object, kube::EventType::Normal, operation, "Done", seconds);
    return;
  }
  // Nothing is written to the object (that write would bring it back here at once): the
  // Warning Event says why it stays; the next resync, or any change to it, tries again.
  failed_++;
  event(object, kube::EventType::Warning, operation, "Done", seconds,
        fmt::format("{}; the object is kept until its storage is cleaned up",
                    outcome.error().message));
  log::info("cleanup failed", {{"kind", watched.kind.kind},
                               {"object", kube::ObjectKey::of(object).toString()},
                               {"operation", operation},
                               {"error", outcome.error().message}});
  if (outcome.error().retryable()) {
    retryLater(work_key);
  }
}

}  // namespace univirt::lifecycle
