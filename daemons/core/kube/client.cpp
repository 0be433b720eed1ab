#include "core/kube/client.h"

#include <fmt/format.h>

#include "core/kube/status.h"
#include "core/util/log.h"

namespace univirt::kube {
namespace {

using nlohmann::json;
using util::Error;
using util::ErrorCode;
using util::Result;

// Appends "&key=value" (or "?key=value" for the first one).
void addQuery(std::string& target, std::string_view key, std::string_view value) {
  if (value.empty()) {
    return;
  }
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += encodeQueryValue(value);
}

std::string describe(std::string_view verb, const ResourceRef& ref, std::string_view ns,
                     std::string_view name) {
  if (name.empty()) {
    return ns.empty() ? fmt::format("{} {}", verb, ref.displayName())
                      : fmt::format("{} {} in namespace '{}'", verb, ref.displayName(), ns);
  }
  return ns.empty() ? fmt::format("{} {} '{}'", verb, ref.displayName(), name)
                    : fmt::format("{} {} '{}/{}'", verb, ref.displayName(), ns, name);
}

// Lists of built-in kinds omit apiVersion/kind per item; callers (caches, handlers) expect them.
void fillTypeMeta(json& item, const json& list) {
  if (!item.is_object()) {
    return;
  }
  if (!item.contains("apiVersion") && list.contains("apiVersion")) {
    item["apiVersion"] = list["apiVersion"];
  }
  std::string list_kind = list.value("kind", "");
  if (!item.contains("kind") && list_kind.size() > 4 &&
      list_kind.compare(list_kind.size() - 4, 4, "List") == 0) {
    item["kind"] = list_kind.substr(0, list_kind.size() - 4);
  }
}

}  // namespace

std::string ResourceRef::groupVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceRef::displayName() const {
  return group.empty() ? resource : resource + "." + group;
}

std::string_view watchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added:
      return "ADDED";
    case WatchEventType::Modified:
      return "MODIFIED";
    case WatchEventType::Deleted:
      return "DELETED";
    case WatchEventType::Bookmark:
      return "BOOKMARK";
    case WatchEventType::Error:
      return "ERROR";
  }
  return "ERROR";
}

util::Result<WatchEvent> parseWatchEvent(std::string_view line) {
  auto parsed = parseObject(line, "a watch event");
  if (!parsed) {
    return std::move(parsed).error();
  }
  if (!parsed->is_object() || !(*parsed)["type"].is_string() || !(*parsed)["object"].is_object()) {
    return Error{ErrorCode::Internal,
                 fmt::format("watch event '{}' lacks a string 'type' or an object 'object'",
                             line.substr(0, 80))};
  }
  std::string type = (*parsed)["type"].get<std::string>();
  WatchEvent event;
  if (type == "ADDED") {
    event.type = WatchEventType::Added;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::Modified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::Deleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::Bookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::Error;
  } else {
    return Error{ErrorCode::Internal, fmt::format("watch event has unknown type '{}'", type)};
  }
  event.object = std::move((*parsed)["object"]);
  return event;
}

std::string encodeQueryValue(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string resourcePath(const ResourceRef& ref, std::string_view namespace_name,
                         std::string_view name, std::string_view subresource) {
  std::string path =
      ref.group.empty() ? "/api/" + ref.version : "/apis/" + ref.group + "/" + ref.version;
  if (ref.namespaced && !namespace_name.empty()) {
    path += fmt::format("/namespaces/{}", namespace_name);
  }
  path += "/" + ref.resource;
  if (!name.empty()) {
    path += fmt::format("/{}", name);
  }
  if (!subresource.empty()) {
    path += fmt::format("/{}", subresource);
  }
  return path;
}

Client::Client(std::unique_ptr<Transport> transport, std::string default_namespace)
    : transport_(std::move(transport)), default_namespace_(std::move(default_namespace)) {}

util::Result<std::unique_ptr<Client>> Client::create(const ClientConfig& config,
                                                     const TransportOptions& options,
                                                     util::Clock& clock) {
  auto transport = Transport::create(config, options, clock);
  if (!transport) {
    return std::move(transport).error();
  }
  return std::make_unique<Client>(std::move(*transport), config.default_namespace);
}

std::string Client::namespaceFor(const ResourceRef& ref, std::string_view namespace_name) const {
  if (!ref.namespaced) {
    return {};
  }
  return namespace_name.empty() ? default_namespace_ : std::string(namespace_name);
}

util::Result<Object> Client::call(const HttpRequest& request, std::string_view context,
                                  std::stop_token stop) {
  auto response = transport_->send(request, std::move(stop));
  if (!response) {
    return std::move(response).error().withContext(context);
  }
  if (response->status / 100 != 2) {
    return ApiError::fromResponse(response->status, response->body).toError(context);
  }
  return parseObject(response->body, fmt::format("the response to {}", context));
}

util::Result<Object> Client::get(const ResourceRef& ref, const ObjectKey& key,
                                 std::stop_token stop) {
  std::string ns = namespaceFor(ref, key.namespace_name);
  HttpRequest request;
  request.target = resourcePath(ref, ns, key.name);
  return call(request, describe("get", ref, ns, key.name), std::move(stop));
}

util::Result<ListPage> Client::listPage(const ResourceRef& ref, std::string_view namespace_name,
                                        const ListOptions& options, std::string_view continue_token,
                                        std::stop_token stop) {
  std::string ns = ref.namespaced ? std::string(namespace_name) : std::string();
  HttpRequest request;
  request.target = resourcePath(ref, ns);
  addQuery(request.target, "labelSelector", options.label_selector);
  addQuery(request.target, "fieldSelector", options.field_selector);
  if (options.limit > 0) {
    addQuery(request.target, "limit", std::to_string(options.limit));
  }
  if (continue_token.empty()) {
    // The server rejects resourceVersion together with continue (422).
    addQuery(request.target, "resourceVersion", options.resource_version);
    addQuery(request.target, "resourceVersionMatch", options.resource_version_match);
  }
  addQuery(request.target, "continue", continue_token);
  auto list = call(request, describe("list", ref, ns, {}), std::move(stop));
  if (!list) {
    return std::move(list).error();
  }
  ListPage page;
  const json& metadata = (*list)["metadata"];
  if (metadata.is_object()) {
    page.resource_version = metadata.value("resourceVersion", "");
    page.continue_token = metadata.value("continue", "");
    if (auto it = metadata.find("remainingItemCount"); it != metadata.end() && it->is_number()) {
      page.remaining_item_count = it->get<std::int64_t>();
    }
  }
  if (auto items = list->find("items"); items != list->end() && items->is_array()) {
    page.items.reserve(items->size());
    for (json& item : *items) {
      fillTypeMeta(item, *list);
      page.items.push_back(std::move(item));
    }
  }
  return page;
}

util::Result<ObjectList> Client::list(const ResourceRef& ref, std::string_view namespace_name,
                                      const ListOptions& options, std::stop_token stop) {
  ObjectList result;
  std::string continue_token;
  ListOptions current = options;
  for (bool first = true;; first = false) {
    auto page = listPage(ref, namespace_name, current, continue_token, stop);
    if (!page && !first && page.error().code == ErrorCode::Gone) {
      // The snapshot behind the continue token was compacted. client-go's pager then lists
      // everything in one request, which the server serves from its latest state.
      log::info("list continuation expired, listing again in one request",
                {{"resource", ref.displayName()}});
      result = ObjectList{};
      continue_token.clear();
      current.limit = 0;
      first = true;
      page = listPage(ref, namespace_name, current, continue_token, stop);
    }
    if (!page) {
      return std::move(page).error();
    }
    if (first) {
      result.resource_version = page->resource_version;
    }
    for (Object& item : page->items) {
      result.items.push_back(std::move(item));
    }
    if (page->continue_token.empty()) {
      return result;
    }
    continue_token = std::move(page->continue_token);
  }
}

util::Result<Object> Client::create(const ResourceRef& ref, const Object& object,
                                    std::stop_token stop) {
  std::string ns = namespaceFor(ref, namespaceOf(object));
  HttpRequest request;
  request.method = "POST";
  request.target = resourcePath(ref, ns);
  request.body = object.dump();
  request.content_type = "application/json";
  std::string name = nameOf(object);
  return call(request, describe("create", ref, ns, name), std::move(stop));
}

util::Result<Object> Client::put(const ResourceRef& ref, const Object& object,
                                 std::string_view subresource, std::stop_token stop) {
  std::string ns = namespaceFor(ref, namespaceOf(object));
  std::string name = nameOf(object);
  std::string verb = subresource.empty() ? "update" : fmt::format("update {} of", subresource);
  if (name.empty()) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("cannot {} {}: the object has no metadata.name", verb, ref.displayName())};
  }
  HttpRequest request;
  request.method = "PUT";
  request.target = resourcePath(ref, ns, name, subresource);
  request.body = object.dump();
  request.content_type = "application/json";
  return call(request, describe(verb, ref, ns, name), std::move(stop));
}

util::Result<Object> Client::update(const ResourceRef& ref, const Object& object,
                                    std::stop_token stop) {
  return put(ref, object, {}, std::move(stop));
}

util::Result<Object> Client::updateStatus(const ResourceRef& ref, const Object& object,
                                          std::stop_token stop) {
  return put(ref, object, "status", std::move(stop));
}

util::Result<Object> Client::sendPatch(const ResourceRef& ref, const ObjectKey& key, PatchType type,
                                       const nlohmann::json& patch, std::string_view subresource,
                                       std::stop_token stop) {
  std::string ns = namespaceFor(ref, key.namespace_name);
  HttpRequest request;
  request.method = "PATCH";
  request.target = resourcePath(ref, ns, key.name, subresource);
  request.body = patch.dump();
  request.content_type =
      type == PatchType::Merge ? "application/merge-patch+json" : "application/json-patch+json";
  std::string verb = subresource.empty() ? "patch" : fmt::format("patch {} of", subresource);
  return call(request, describe(verb, ref, ns, key.name), std::move(stop));
}

util::Result<Object> Client::patch(const ResourceRef& ref, const ObjectKey& key, PatchType type,
                                   const nlohmann::json& patch, std::stop_token stop) {
  return sendPatch(ref, key, type, patch, {}, std::move(stop));
}

util::Result<Object> Client::patchStatus(const ResourceRef& ref, const ObjectKey& key,
                                         PatchType type, const nlohmann::json& patch,
                                         std::stop_token stop) {
  return sendPatch(ref, key, type, patch, "status", std::move(stop));
}

util::Result<Object> Client::remove(const ResourceRef& ref, const ObjectKey& key,
                                    const DeleteOptions& options, std::stop_token stop) {
  std::string ns = namespaceFor(ref, key.namespace_name);
  HttpRequest request;
  request.method = "DELETE";
  request.target = resourcePath(ref, ns, key.name);
  json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.precondition_uid.empty()) {
    body["preconditions"]["uid"] = options.precondition_uid;
  }
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  if (!options.propagation_policy.empty()) {
    body["propagationPolicy"] = options.propagation_policy;
  }
  if (options.grace_period_seconds) {
    body["gracePeriodSeconds"] = *options.grace_period_seconds;
  }
  request.body = body.dump();
  request.content_type = "application/json";
  return call(request, describe("delete", ref, ns, key.name), std::move(stop));
}

util::Result<Object> Client::serverVersion(std::stop_token stop) {
  HttpRequest request;
  request.target = "/version";
  return call(request, "get the API server version", std::move(stop));
}

util::Result<void> Client::watch(const ResourceRef& ref, std::string_view namespace_name,
                                 const WatchOptions& options, const WatchCallback& callback,
                                 std::stop_token stop) {
  std::string ns = ref.namespaced ? std::string(namespace_name) : std::string();
  std::string context = describe("watch", ref, ns, {});
  HttpRequest request;
  request.target = resourcePath(ref, ns) + "?watch=true";
  addQuery(request.target, "labelSelector", options.label_selector);
  addQuery(request.target, "fieldSelector", options.field_selector);
  addQuery(request.target, "resourceVersion", options.resource_version);
  if (options.allow_bookmarks) {
    addQuery(request.target, "allowWatchBookmarks", "true");
  }
  if (options.timeout_seconds > 0) {
    addQuery(request.target, "timeoutSeconds", std::to_string(options.timeout_seconds));
    // The server closes the stream at the timeout; silence well past it means a dead peer.
    request.receive_timeout = std::chrono::seconds(options.timeout_seconds + 60);
  }
  auto opened = transport_->openStream(request, stop);
  if (!opened) {
    return std::move(opened).error().withContext(context);
  }
  if (!opened->stream) {
    return ApiError::fromResponse(opened->head.status, opened->head.body).toError(context);
  }
  ResponseStream& stream = *opened->stream;
  std::stop_callback cancel_on_stop(stop, [&stream] { stream.cancel(); });
  while (true) {
    auto line = stream.readLine();
    if (stop.stop_requested()) {
      return util::ok();
    }
    if (!line) {
      return std::move(line).error().withContext(context);
    }
    if (!line->has_value()) {
      return util::ok();  // the server ended the stream (timeoutSeconds): watch again
    }
    if ((*line)->empty()) {
      continue;
    }
    auto event = parseWatchEvent(**line);
    if (!event) {
      return std::move(event).error().withContext(context);
    }
    callback(*event);
    if (event->type == WatchEventType::Error) {
      return ApiError::fromStatusObject(event->object).toError(context);
    }
  }
}

}  // namespace univirt::kube
