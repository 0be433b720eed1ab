#include "core/kube/events.h"

#include <chrono>

#include <fmt/format.h>

namespace univirt::kube {
namespace {

using nlohmann::json;

std::string_view typeName(EventType type) {
  return type == EventType::Warning ? "Warning" : "Normal";
}

json involvedObjectRef(const Object& involved) {
  json ref = {{"kind", kindOf(involved)},
              {"apiVersion", apiVersionOf(involved)},
              {"name", nameOf(involved)}};
  if (std::string ns = namespaceOf(involved); !ns.empty()) {
    ref["namespace"] = ns;
  }
  if (std::string uid = uidOf(involved); !uid.empty()) {
    ref["uid"] = uid;
  }
  if (std::string rv = resourceVersionOf(involved); !rv.empty()) {
    ref["resourceVersion"] = rv;
  }
  return ref;
}

}  // namespace

EventRecorder::EventRecorder(Client& client, EventSource source, util::Clock& clock, EventApi api)
    : client_(client), source_(std::move(source)), clock_(clock), api_(api) {}

const ResourceRef& EventRecorder::eventsResource() const {
  static const ResourceRef kCoreEvents{"", "v1", "events", true};
  static const ResourceRef kEventsV1{"events.k8s.io", "v1", "events", true};
  return api_ == EventApi::CoreV1 ? kCoreEvents : kEventsV1;
}

Object EventRecorder::buildEvent(const Object& involved, EventType type, std::string_view reason,
                                 std::string_view message, const std::string& ns) {
  std::string name = nextName(nameOf(involved));
  if (api_ == EventApi::EventsV1) {
    // events.k8s.io/v1 requires eventTime, reportingController/Instance and action; our
    // callers' reason doubles as the action, as in client-go's deprecated-API bridge.
    return {
        {"apiVersion", "events.k8s.io/v1"},
        {"kind", "Event"},
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"regarding", involvedObjectRef(involved)},
        {"reason", reason},
        {"action", reason},
        {"note", message},
        {"type", typeName(type)},
        {"eventTime", formatMicroTimestamp(clock_.wallNow())},
        {"reportingController", source_.component},
        {"reportingInstance", source_.host},
    };
  }
  std::string now = formatTimestamp(clock_.wallNow());
  return {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", involvedObjectRef(involved)},
      {"reason", reason},
      {"message", message},
      {"type", typeName(type)},
      {"source", {{"component", source_.component}, {"host", source_.host}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"reportingComponent", source_.component},
      {"reportingInstance", source_.host},
  };
}

std::string EventRecorder::nextName(std::string_view involved_name) {
  // client-go names Events "<object>.<unix nanoseconds in hex>"; strictly increasing here so
  // two Events in the same clock tick (a fake clock in tests) do not collide.
  std::int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.wallNow().time_since_epoch())
          .count();
  std::lock_guard lock(mu_);
  last_name_nanos_ = std::max(nanos, last_name_nanos_ + 1);
  return fmt::format("{}.{:x}", involved_name, last_name_nanos_);
}

void EventRecorder::remember(const std::string& key, Tracked tracked) {
  std::lock_guard lock(mu_);
  if (auto it = tracked_.find(key); it != tracked_.end()) {
    lru_.erase(it->second.lru_position);
    tracked_.erase(it);
  }
  lru_.push_front(key);
  tracked.lru_position = lru_.begin();
  tracked_.emplace(key, std::move(tracked));
  while (tracked_.size() > kMaxTrackedEvents) {
    tracked_.erase(lru_.back());
    lru_.pop_back();
  }
}

util::Result<Object> EventRecorder::createEvent(const Object& involved, EventType type,
                                                std::string_view reason, std::string_view message,
                                                const std::string& key) {
  std::string ns = namespaceOf(involved);
  if (ns.empty()) {
    ns = "default";  // Events about cluster-scoped objects live in "default", as in client-go
  }
  Object event = buildEvent(involved, type, reason, message, ns);
  auto created = client_.create(eventsResource(), event);
  if (!created) {
    return created;
  }
  remember(key, Tracked{ns, nameOf(*created), 1, {}});
  return created;
}

util::Result<Object> EventRecorder::record(const Object& involved, EventType type,
                                           std::string_view reason, std::string_view message) {
  json key_parts = {source_.component,
                    source_.host,
                    kindOf(involved),
                    apiVersionOf(involved),
                    namespaceOf(involved),
                    nameOf(involved),
                    uidOf(involved),
                    typeName(type),
                    reason,
                    message};
  std::string key = key_parts.dump();

  std::optional<Tracked> previous;
  {
    std::lock_guard lock(mu_);
    if (auto it = tracked_.find(key); it != tracked_.end()) {
      previous = it->second;
    }
  }
  if (!previous) {
    return createEvent(involved, type, reason, message, key);
  }
  std::int64_t count = previous->count + 1;
  json patch = api_ == EventApi::CoreV1
                   ? json{{"count", count}, {"lastTimestamp", formatTimestamp(clock_.wallNow())}}
                   : json{{"series",
                           {{"count", count},
                            {"lastObservedTime", formatMicroTimestamp(clock_.wallNow())}}}};
  auto patched =
      client_.patch(eventsResource(), ObjectKey{previous->namespace_name, previous->name},
                    PatchType::Merge, patch);
  if (!patched && patched.error().code == util::ErrorCode::NotFound) {
    return createEvent(involved, type, reason, message, key);
  }
  if (!patched) {
    return patched;
  }
  previous->count = count;
  remember(key, std::move(*previous));
  return patched;
}

}  // namespace univirt::kube
