// WATCH: a chunked stream of newline-terminated WatchEvents (kube-api-semantics.md §2.4, §2.5).
// One Poco worker thread per open watch; it sleeps on the WatchHub between events.

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "kube-lite/api_server.h"
#include "kube-lite/list_options.h"
#include "kube-lite/table.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

// How often an idle watch checks whether its client went away.
constexpr std::chrono::seconds kLivenessInterval{1};

class EventWriter {
 public:
  EventWriter(const ResourceType& type, ResponseWriter& out, bool table, IncludeObject include,
              util::Clock& clock)
      : type_(type), out_(out), table_(table), include_(include), clock_(clock) {}

  bool write(const std::string& event_type, const json& object, const std::string* dumped) {
    if (table_) {
      json wrapped = buildTable(type_, {object}, include_, first_, clock_.wallNow());
      wrapped["metadata"]["resourceVersion"] = object["metadata"].value("resourceVersion", "");
      first_ = false;
      return out_.writeLine(json{{"type", event_type}, {"object", wrapped}}.dump());
    }
    if (dumped != nullptr) {
      return out_.writeLine(fmt::format("{{\"type\":\"{}\",\"object\":{}}}", event_type, *dumped));
    }
    return out_.writeLine(json{{"type", event_type}, {"object", object}}.dump());
  }

  bool bookmark(int64_t rv, bool initial_events_end) {
    json meta = {{"resourceVersion", std::to_string(rv)}};
    if (initial_events_end) {
      meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    }
    json object = {{"kind", type_.kind}, {"apiVersion", type_.apiVersion()}, {"metadata", meta}};
    return out_.writeLine(json{{"type", "BOOKMARK"}, {"object", object}}.dump());
  }

  bool error(const ApiError& err) {
    return out_.writeLine(json{{"type", "ERROR"}, {"object", err.toStatus()}}.dump());
  }

 private:
  const ResourceType& type_;
  ResponseWriter& out_;
  bool table_;
  IncludeObject include_;
  util::Clock& clock_;
  bool first_ = true;
};

}  // namespace

void ApiServer::handleWatch(const Request& req, const Target& target, Reply reply) {
  ListOptions options;
  if (auto err = parseListOptions(req, *target.type, true, options)) {
    sendError(reply, *err);
    return;
  }
  const ResourceType& type = *target.type;
  std::string ns = type.namespaced ? target.ns : "";
  bool bookmarks = parseBoolParam(req.param("allowWatchBookmarks"));
  bool initial_events = parseBoolParam(req.param("sendInitialEvents"));
  std::string rv_param = req.param("resourceVersion");
  bool table = req.header("accept").find("as=Table") != std::string::npos;

  auto steady_now = clock_.now();
  auto end = steady_now + std::chrono::hours(24 * 365);
  std::string timeout = req.param("timeoutSeconds");
  if (!timeout.empty()) {
    long long seconds = 0;
    std::from_chars(timeout.data(), timeout.data() + timeout.size(), seconds);
    end = steady_now + std::chrono::seconds(std::max<long long>(seconds, 0));
  }
  uint64_t generation = hub_.dropGeneration();

  // Where the stream starts: the current state (RV unset/"0" or sendInitialEvents) or after N.
  std::vector<json> initial;
  int64_t cursor = 0;
  bool start_expired = false;
  bool from_state = rv_param.empty() || rv_param == "0" || initial_events;
  if (from_state) {
    ListPage page = store_.list(type.storageKey(), ns, "", 0,
                                [&](const json& object) { return options.matches(object); });
    initial = std::move(page.items);
    cursor = page.rv;
  } else {
    cursor = std::stoll(rv_param);
    if (!hub_.servable(cursor)) {
      start_expired = true;
    }
    cursor = std::min(cursor, store_.currentRv());
  }

  reply.audit.code = 200;
  EventWriter writer(type, reply.out, table, IncludeObject::Metadata, clock_);
  if (!reply.out.startStream(table ? kTableContentType : "application/json")) {
    return;
  }
  if (start_expired) {
    writer.error(
        expired(fmt::format("too old resource version: {} ({})", rv_param, store_.currentRv())));
    return;
  }
  for (const auto& object : initial) {
    if (!writer.write("ADDED", served(type, object), nullptr)) {
      return;
    }
  }
  if (initial_events && !writer.bookmark(cursor, true)) {
    return;
  }
  const std::string storage_key = type.storageKey();
  const bool rewrite_version = !type.builtin;
  auto next_bookmark = clock_.now() + options_.bookmark_interval;
  while (true) {
    auto deadline =
        std::min({end, bookmarks ? next_bookmark : end, clock_.now() + kLivenessInterval});
    WatchHub::Poll poll = hub_.wait(cursor, deadline, generation);
    if (poll.closed) {
      return;
    }
    if (poll.expired) {
      writer.error(
          expired(fmt::format("too old resource version: {} ({})", cursor, poll.current_rv)));
      return;
    }
    for (const auto& event : poll.events) {
      cursor = event->rv;
      if (event->storage_key != storage_key || (!ns.empty() && event->ns != ns)) {
        continue;
      }
      bool now_matches = options.matches(event->object);
      bool was_matching = !event->previous.is_null() && options.matches(event->previous);
      std::string event_type = event->type;
      if (event_type == "MODIFIED" && now_matches != was_matching) {
        event_type = now_matches ? "ADDED" : "DELETED";
      } else if (!now_matches) {
        continue;
      }
      bool same_version =
          !rewrite_version || event->object.value("apiVersion", "") == type.apiVersion();
      bool ok = same_version ? writer.write(event_type, event->object, &event->object_json)
                             : writer.write(event_type, served(type, event->object), nullptr);
      if (!ok) {
        return;
      }
    }
    cursor = std::max(cursor, poll.current_rv);
    if (poll.events.empty() && reply.out.clientGone()) {
      return;  // frees this worker thread for other requests
    }
    auto now_time = clock_.now();
    if (now_time >= end) {
      if (bookmarks) {
        writer.bookmark(cursor, false);
      }
      return;
    }
    if (bookmarks && now_time >= next_bookmark) {
      if (!writer.bookmark(cursor, false)) {
        return;
      }
      next_bookmark = now_time + options_.bookmark_interval;
    }
  }
}

}  // namespace univirt::kubelite
