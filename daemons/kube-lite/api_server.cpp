#include "kube-lite/api_server.h"

#include <stop_token>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "kube-lite/discovery.h"
#include "kube-lite/object_rules.h"
#include "kube-lite/openapi.h"
#include "kube-lite/protobuf_decode.h"
#include "kube-lite/table.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    if (slash > start) {
      parts.push_back(path.substr(start, slash - start));
    }
    start = slash + 1;
  }
  return parts;
}

json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) {
        out[item.first.as<std::string>()] = yamlToJson(item.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) {
        out.push_back(yamlToJson(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") {
        return text;  // quoted scalar
      }
      if (text == "true" || text == "false") {
        return text == "true";
      }
      if (text == "null" || text == "~") {
        return nullptr;
      }
      try {
        size_t used = 0;
        long long value = std::stoll(text, &used);
        if (used == text.size()) {
          return value;
        }
        double number = std::stod(text, &used);
        if (used == text.size()) {
          return number;
        }
      } catch (const std::exception&) {
        // not a number: a string
      }
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace

ApiServer::ApiServer(Store& store, WatchHub& hub, ResourceRegistry& registry, FaultInjector& faults,
                     util::Clock& clock, ApiServerOptions options)
    : store_(store),
      hub_(hub),
      registry_(registry),
      faults_(faults),
      clock_(clock),
      options_(std::move(options)) {}

util::Status ApiServer::bootstrap() {
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    ObjectKey key{kNamespaceStorageKey, "", name};
    auto snap = registry_.snapshot();
    const ResourceType* type = ResourceRegistry::find(snap, "", "v1", "namespaces");
    WriteRules rules{*type, "", now()};
    auto result = store_.mutate(key, [&](const json* current, int64_t) {
      if (current != nullptr) {
        return Mutation{};
      }
      return prepareCreate(rules, json{{"metadata", {{"name", name}}}}, {});
    });
    if (result.error) {
      return util::Error{util::ErrorCode::Internal, fmt::format("cannot create namespace '{}': {}",
                                                                name, result.error->message)};
    }
  }
  refreshCrds();
  return util::ok();
}

std::string ApiServer::now() const { return formatTimestamp(clock_.wallNow()); }

std::vector<json> ApiServer::storedCrds() const {
  return store_.list(kCrdStorageKey, "", "", 0, nullptr).items;
}

void ApiServer::refreshCrds() { registry_.setCustomResourceDefinitions(storedCrds()); }

void ApiServer::afterWrite(const ResourceType& type, const MutationResult& result) {
  if (type.storageKey() == kCrdStorageKey && result.action != WriteAction::Keep) {
    refreshCrds();
  }
}

ObjectKey ApiServer::keyOf(const Target& target, const std::string& name) const {
  return ObjectKey{target.type->storageKey(), target.type->namespaced ? target.ns : "", name};
}

json ApiServer::served(const ResourceType& type, json object) const {
  if (object.is_object() && object.value("apiVersion", "") != type.apiVersion()) {
    object["apiVersion"] = type.apiVersion();
  }
  return object;
}

void ApiServer::sendJson(Reply reply, int code, const json& body, const std::string& content_type,
                         const Headers& headers) {
  reply.audit.code = code;
  reply.out.send(code, content_type, body.dump(), headers);
}

void ApiServer::sendError(Reply reply, const ApiError& error) {
  Headers headers;
  if (error.retry_after_seconds > 0) {
    headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  }
  sendJson(reply, error.code, error.toStatus(), "application/json", headers);
}

std::optional<ApiError> ApiServer::checkNamespaceExists(const Target& target) const {
  if (!target.type->namespaced) {
    return std::nullopt;
  }
  if (store_.get(ObjectKey{kNamespaceStorageKey, "", target.ns})) {
    return std::nullopt;
  }
  return notFound(ResourceName{"", "namespaces", "Namespace"}, target.ns);
}

std::optional<ApiError> ApiServer::decodeBody(const Request& req, json& out, bool yaml) const {
  if (req.body.empty()) {
    return badRequest("the request body is empty; an object is required");
  }
  if (req.header("content-type").find("protobuf") != std::string::npos) {
    // kubectl's typed clients send protobuf for built-ins; a few kinds are understood.
    auto decoded = decodeProtobufObject(req.body);
    if (decoded) {
      out = std::move(*decoded);
      return std::nullopt;
    }
    ApiError err = unsupportedMediaType();
    err.message =
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml (" +
        decoded.error().message + ")";
    return err;
  }
  try {
    out = json::parse(req.body);
    return std::nullopt;
  } catch (const json::parse_error& e) {
    if (!yaml) {
      return badRequest(fmt::format("the request body is not valid JSON: {}", e.what()));
    }
  }
  try {
    out = yamlToJson(YAML::Load(req.body));
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    return badRequest(fmt::format("the request body is not valid YAML: {}", e.what()));
  }
}

AuditRecord ApiServer::handle(const Request& req, ResponseWriter& out) {
  AuditRecord audit;
  Reply reply{out, audit};
  if (req.path == "/kube-lite/faults" && faults_.enabled()) {
    audit.verb = "faults";
    if (req.method == "GET") {
      sendJson(reply, 200, faults_.state());
      return audit;
    }
    json body;
    if (auto err = decodeBody(req, body, false)) {
      sendError(reply, *err);
      return audit;
    }
    if (auto err = faults_.control(body)) {
      sendError(reply, *err);
      return audit;
    }
    sendJson(reply, 200, faults_.state());
    return audit;
  }
  if (auto delay = faults_.latency(); delay.count() > 0) {
    clock_.sleepFor(delay, std::stop_token{});
  }
  if (auto failure = faults_.nextFailure()) {
    sendError(reply, *failure);
    return audit;
  }
  try {
    if (!handleNonResource(req, reply)) {
      handleResource(req, reply);
    }
  } catch (const std::exception& e) {
    // A bug in a handler must cost one request, not the server.
    sendError(reply, internalError(e.what()));
  }
  return audit;
}

bool ApiServer::handleNonResource(const Request& req, Reply reply) {
  const std::string& path = req.path;
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    reply.audit.verb = "get";
    reply.audit.code = 200;
    reply.out.send(200, "text/plain", "ok", {});
    return true;
  }
  if (path == "/version" || path == "/version/") {
    reply.audit.verb = "get";
    sendJson(reply, 200, versionInfo(options_.minor));
    return true;
  }
  auto snap = registry_.snapshot();
  if (path == "/api" || path == "/api/" || path == "/apis" || path == "/apis/") {
    reply.audit.verb = "get";
    bool core = path.rfind("/api", 0) == 0 && path.rfind("/apis", 0) != 0;
    std::string aggregated = chooseDiscoveryType(req.header("accept"));
    if (!aggregated.empty()) {
      std::string version =
          aggregated == kAggregatedV2 ? "apidiscovery.k8s.io/v2" : "apidiscovery.k8s.io/v2beta1";
      sendJson(reply, 200, aggregatedDiscovery(snap, core, version), aggregated);
      return true;
    }
    sendJson(reply, 200, core ? legacyApiVersions(options_.server_address) : apiGroupList(snap));
    return true;
  }
  if (path == "/openapi/v2" || path == "/swagger-2.0.0.pb-v1") {
    reply.audit.verb = "get";
    auto resp =
        openapi_v2_.serve(req, snap, options_.minor, path != "/openapi/v2", clock_.wallNow());
    if (!resp || resp->status == 406) {
      sendError(reply, resp ? notAcceptable() : internalError(resp.error().message));
      return true;
    }
    reply.audit.code = resp->status;
    reply.out.send(resp->status, resp->content_type, resp->body, resp->headers);
    return true;
  }
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    reply.audit.verb = "get";
    sendJson(reply, 200, openApiIndex(snap));
    return true;
  }
  if (path.rfind("/openapi/v3/", 0) == 0) {
    reply.audit.verb = "get";
    auto doc = openApiGroupVersion(snap, path.substr(std::string("/openapi/v3/").size()));
    if (!doc) {
      sendError(reply, pathNotFound());
      return true;
    }
    sendJson(reply, 200, *doc);
    return true;
  }
  auto parts = splitPath(path);
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "v1") {
    reply.audit.verb = "get";
    sendJson(reply, 200, *apiResourceList(snap, "", "v1"));
    return true;
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    reply.audit.verb = "get";
    auto group = apiGroup(snap, parts[1]);
    group ? sendJson(reply, 200, *group) : sendError(reply, pathNotFound());
    return true;
  }
  if (parts.size() == 3 && parts[0] == "apis") {
    reply.audit.verb = "get";
    auto list = apiResourceList(snap, parts[1], parts[2]);
    list ? sendJson(reply, 200, *list) : sendError(reply, pathNotFound());
    return true;
  }
  return false;
}

void ApiServer::handleResource(const Request& req, Reply reply) {
  auto parts = splitPath(req.path);
  Target target;
  target.snap = registry_.snapshot();
  std::string group;
  std::string version;
  size_t rest = 0;
  if (parts.size() >= 3 && parts[0] == "api" && parts[1] == "v1") {
    version = "v1";
    rest = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    rest = 3;
  } else {
    reply.audit.verb = "get";
    sendError(reply, pathNotFound());
    return;
  }
  std::vector<std::string> tail(parts.begin() + static_cast<long>(rest), parts.end());
  std::string plural;
  if (tail.size() >= 3 && tail[0] == "namespaces" &&
      !(tail.size() == 3 && (tail[2] == "status" || tail[2] == "finalize"))) {
    target.ns = tail[1];
    tail.erase(tail.begin(), tail.begin() + 2);
  }
  plural = tail[0];
  if (tail.size() >= 2) {
    target.name = tail[1];
  }
  if (tail.size() >= 3) {
    target.subresource = tail[2];
  }
  target.type = ResourceRegistry::find(target.snap, group, version, plural);
  reply.audit.group = group;
  reply.audit.resource = plural;
  reply.audit.ns = target.ns;
  reply.audit.name = target.name;
  reply.audit.subresource = target.subresource;
  reply.audit.verb = req.method == "GET" ? (target.name.empty() ? "list" : "get") : req.method;
  bool bad_shape = target.type == nullptr || tail.size() > 3 ||
                   (target.type->namespaced && target.ns.empty() && !target.name.empty()) ||
                   (!target.type->namespaced && !target.ns.empty());
  if (!bad_shape && !target.subresource.empty()) {
    bool status_ok = target.subresource == "status" && target.type->has_status;
    bool finalize_ok = target.subresource == "finalize" && target.type->plural == "namespaces";
    bad_shape = !status_ok && !finalize_ok;
  }
  if (bad_shape) {
    sendError(reply, pathNotFound());
    return;
  }
  const std::string& method = req.method;
  if (method == "GET") {
    if (!target.name.empty()) {
      handleGet(req, target, reply);
      return;
    }
    if (parseBoolParam(req.param("watch"))) {
      reply.audit.verb = "watch";
      handleWatch(req, target, reply);
      return;
    }
    handleList(req, target, reply);
    return;
  }
  if (method == "POST" && target.name.empty()) {
    reply.audit.verb = "create";
    handleCreate(req, target, reply);
    return;
  }
  if (method == "PUT" && !target.name.empty()) {
    reply.audit.verb = "update";
    handleUpdate(req, target, reply);
    return;
  }
  if (method == "PATCH" && !target.name.empty()) {
    reply.audit.verb = "patch";
    handlePatch(req, target, reply);
    return;
  }
  if (method == "DELETE") {
    if (target.name.empty()) {
      reply.audit.verb = "deletecollection";
      handleDeleteCollection(req, target, reply);
      return;
    }
    reply.audit.verb = "delete";
    handleDelete(req, target, reply);
    return;
  }
  sendError(reply, methodNotAllowed());
}

}  // namespace univirt::kubelite
