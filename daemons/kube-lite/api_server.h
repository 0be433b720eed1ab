#pragma once

// ApiServer: the Kubernetes REST API on top of the Store, independent of the HTTP library.
// handle() routes one request (discovery, OpenAPI, resource verbs, the fault-injection
// endpoint) and answers through a ResponseWriter; it returns what the audit log records.
// Verb handlers live in read_handlers.cpp, watch_handler.cpp, write_handlers.cpp and
// delete_handlers.cpp; the strategy rules in object_rules.cpp.

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "core/util/result.h"
#include "kube-lite/api_error.h"
#include "kube-lite/fault_injection.h"
#include "kube-lite/openapi_v2.h"
#include "kube-lite/request.h"
#include "kube-lite/resource_registry.h"
#include "kube-lite/store.h"
#include "kube-lite/watch_hub.h"

namespace univirt::kubelite {

struct ApiServerOptions {
  std::string minor = "32";  // /version minor; the kubectl dispatcher keys off it
  std::chrono::milliseconds bookmark_interval{60000};  // how often idle watches get a BOOKMARK
  std::string server_address = "127.0.0.1:6443";       // advertised in /api
};

struct AuditRecord {
  std::string verb;
  std::string group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  int code = 0;
};

class ApiServer {
 public:
  ApiServer(Store& store, WatchHub& hub, ResourceRegistry& registry, FaultInjector& faults,
            util::Clock& clock, ApiServerOptions options);

  // Creates the namespaces that always exist and serves the stored CRDs.
  util::Status bootstrap();

  AuditRecord handle(const Request& req, ResponseWriter& out);

 private:
  struct Target {
    RegistrySnapshot snap;
    const ResourceType* type = nullptr;
    std::string ns;
    std::string name;
    std::string subresource;
  };
  struct Reply {
    ResponseWriter& out;
    AuditRecord& audit;
  };

  bool handleNonResource(const Request& req, Reply reply);
  void handleResource(const Request& req, Reply reply);

  // read_handlers.cpp
  void handleGet(const Request& req, const Target& target, Reply reply);
  void handleList(const Request& req, const Target& target, Reply reply);
  // watch_handler.cpp
  void handleWatch(const Request& req, const Target& target, Reply reply);
  // write_handlers.cpp
  void handleCreate(const Request& req, const Target& target, Reply reply);
  void handleUpdate(const Request& req, const Target& target, Reply reply);
  void handlePatch(const Request& req, const Target& target, Reply reply);
  // delete_handlers.cpp
  void handleDelete(const Request& req, const Target& target, Reply reply);
  void handleDeleteCollection(const Request& req, const Target& target, Reply reply);
  void finishCrdDeletion(const nlohmann::json& crd);
  void deleteNamespaceContents(const std::string& ns);

  // Shared helpers (api_server.cpp).
  void sendJson(Reply reply, int code, const nlohmann::json& body,
                const std::string& content_type = "application/json", const Headers& headers = {});
  void sendError(Reply reply, const ApiError& error);
  std::string now() const;
  std::vector<nlohmann::json> storedCrds() const;
  void refreshCrds();
  void afterWrite(const ResourceType& type, const MutationResult& result);
  std::optional<ApiError> checkNamespaceExists(const Target& target) const;
  // Decodes a request body (JSON, or YAML for apply); 400 on malformed input.
  std::optional<ApiError> decodeBody(const Request& req, nlohmann::json& out, bool yaml) const;
  // Rewrites apiVersion for a version other than the storage one.
  nlohmann::json served(const ResourceType& type, nlohmann::json object) const;
  ObjectKey keyOf(const Target& target, const std::string& name) const;

  Store& store_;
  WatchHub& hub_;
  ResourceRegistry& registry_;
  FaultInjector& faults_;
  util::Clock& clock_;
  ApiServerOptions options_;
  OpenApiV2Endpoint openapi_v2_;  // caches /openapi/v2 per registry snapshot
};

inline constexpr const char* kCrdStorageKey = "apiextensions.k8s.io/customresourcedefinitions";
inline constexpr const char* kNamespaceStorageKey = "/namespaces";

}  // namespace univirt::kubelite
