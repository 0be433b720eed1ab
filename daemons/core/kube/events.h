#pragma once

// Events about objects, as core/v1 Events (what kubectl describe and the upstream tools read;
// the default) or as events.k8s.io/v1 Events.
//
// Repeats are aggregated like client-go's event correlator: an Event with the same source,
// involved object, type, reason and message as one recorded before is not created again; the
// existing Event is patched (merge patch) instead: core/v1 bumps `count` and `lastTimestamp`,
// events.k8s.io/v1 sets `series.count` and `series.lastObservedTime`. When that Event has gone
// (the API server expires Events after an hour) a new one is created.
// The correlation cache is in memory, per recorder, bounded to kMaxTrackedEvents entries.
//
// record() writes synchronously and returns the API error; callers normally log and carry on,
// since an Event is never worth failing an operation for. No lock is held during the write.

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/kube/client.h"
#include "core/util/clock.h"

namespace univirt::kube {

enum class EventType { Normal, Warning };

enum class EventApi {
  CoreV1,    // v1 Event: involvedObject, source, count, first/lastTimestamp
  EventsV1,  // events.k8s.io/v1 Event: regarding, reportingController, eventTime, series
};

struct EventSource {
  std::string component;  // "virtctl"
  std::string host;       // the node name
};

class EventRecorder {
 public:
  // client-go's LRU size.
  static constexpr std::size_t kMaxTrackedEvents = 4096;

  EventRecorder(Client& client, EventSource source, util::Clock& clock = util::Clock::real(),
                EventApi api = EventApi::CoreV1);

  // `involved` needs kind, apiVersion and metadata.name (namespace and uid when it has them).
  // Returns the Event as stored.
  util::Result<Object> record(const Object& involved, EventType type, std::string_view reason,
                              std::string_view message);

  const ResourceRef& eventsResource() const;

 private:
  struct Tracked {
    std::string namespace_name;
    std::string name;
    std::int64_t count = 0;
    std::list<std::string>::iterator lru_position;
  };

  Object buildEvent(const Object& involved, EventType type, std::string_view reason,
                    std::string_view message, const std::string& ns);
  util::Result<Object> createEvent(const Object& involved, EventType type, std::string_view reason,
                                   std::string_view message, const std::string& key);
  void remember(const std::string& key, Tracked tracked);
  std::string nextName(std::string_view involved_name);

  Client& client_;
  const EventSource source_;
  util::Clock& clock_;
  const EventApi api_;
  std::mutex mu_;
  std::unordered_map<std::string, Tracked> tracked_;  // guarded by mu_
  std::list<std::string> lru_;                        // guarded by mu_; front = most recent
  std::int64_t last_name_nanos_ = 0;                  // guarded by mu_
};

}  // namespace univirt::kube
