#pragma once

// The daemons' Kubernetes API client: typed REST calls for any group/version/resource with
// nlohmann::json bodies, over one Transport (TLS, keep-alive pool, QPS limit, retries).
//
// Contract:
//   - Every call returns util::Result. A non-2xx answer becomes the typed error of status.h
//     (NotFound, Conflict, Gone, ...); a transport failure is Unavailable. Nothing throws.
//   - An ObjectKey with an empty namespace on a namespaced resource means the configured
//     default namespace. For list and watch an empty namespace means all namespaces.
//   - list() follows `continue` tokens until the end and returns every item with the
//     resourceVersion of the first page (the snapshot all pages were served from); items get
//     `apiVersion`/`kind` filled in when the server omits them (built-in kinds do).
//   - watch() streams newline-delimited WatchEvents to the callback in server order, on the
//     calling thread, until the server ends the stream (returns ok), `stop` is requested
//     (returns ok), the connection breaks (Unavailable), or an ERROR event arrives (delivered,
//     then returned as its typed error: 410 Expired → Gone, which means "relist").
//   - Every call takes a stop_token: a stop request ends it at once with Unavailable, also
//     while its request is in flight (a slow list page, a watch waiting for its first byte).
//   - A Client is thread-safe; calls may run concurrently (they share the connection pool).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/kube/kubeconfig.h"
#include "core/kube/object.h"
#include "core/kube/transport.h"
#include "core/util/result.h"

namespace univirt::kube {

struct ResourceRef {
  std::string group;     // empty for the core group ("v1" objects like Pods, Events)
  std::string version;   // "v1"
  std::string resource;  // lower-case plural: "virtualmachines"
  bool namespaced = true;

  std::string groupVersion() const;  // "v1", "doslab.io/v1"
  std::string displayName() const;   // "virtualmachines.doslab.io", "events"
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // Items per page (kubectl and client-go use 500); 0 asks for everything at once.
  std::int64_t limit = 500;
  // Empty: the most recent state (a consistent read). "0": any cached state.
  std::string resource_version;
  std::string resource_version_match;  // "NotOlderThan" or "Exact"; needs resource_version
};

struct ListPage {
  std::vector<Object> items;
  std::string resource_version;
  std::string continue_token;  // empty on the last page
  std::optional<std::int64_t> remaining_item_count;
};

struct ObjectList {
  std::vector<Object> items;
  std::string resource_version;  // where a watch continues from
};

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };
std::string_view watchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  Object object;  // the object; for Bookmark only kind/apiVersion/metadata.resourceVersion;
                  // for Error a metav1.Status
};

// Decodes one line of a watch stream.
util::Result<WatchEvent> parseWatchEvent(std::string_view line);

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Empty: synthetic ADDED events for the current state first. "N": changes after N only.
  std::string resource_version;
  bool allow_bookmarks = true;
  // The server ends the stream after this long; the caller then watches again. client-go's
  // reflector picks 5–10 minutes; a dead connection is noticed after this plus a margin.
  // 0 sends no timeout: the server picks one, and TransportOptions::io_timeout of silence
  // then ends the watch with Unavailable.
  std::int64_t timeout_seconds = 300;
};

using WatchCallback = std::function<void(const WatchEvent& event)>;

enum class PatchType { Merge, Json };

struct DeleteOptions {
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::string propagation_policy;  // "Foreground", "Background", "Orphan"; empty: server default
  std::optional<std::int64_t> grace_period_seconds;
};

class Client {
 public:
  Client(std::unique_ptr<Transport> transport, std::string default_namespace);

  static util::Result<std::unique_ptr<Client>> create(const ClientConfig& config,
                                                      const TransportOptions& options = {},
                                                      util::Clock& clock = util::Clock::real());

  util::Result<Object> get(const ResourceRef& ref, const ObjectKey& key, std::stop_token stop = {});
  util::Result<ListPage> listPage(const ResourceRef& ref, std::string_view namespace_name,
                                  const ListOptions& options, std::string_view continue_token,
                                  std::stop_token stop = {});
  util::Result<ObjectList> list(const ResourceRef& ref, std::string_view namespace_name,
                                const ListOptions& options = {}, std::stop_token stop = {});
  // The namespace comes from metadata.namespace, else the default namespace.
  util::Result<Object> create(const ResourceRef& ref, const Object& object,
                              std::stop_token stop = {});
  // PUT of the whole object; metadata.resourceVersion makes it conditional (409 Conflict).
  util::Result<Object> update(const ResourceRef& ref, const Object& object,
                              std::stop_token stop = {});
  util::Result<Object> updateStatus(const ResourceRef& ref, const Object& object,
                                    std::stop_token stop = {});
  util::Result<Object> patch(const ResourceRef& ref, const ObjectKey& key, PatchType type,
                             const nlohmann::json& patch, std::stop_token stop = {});
  util::Result<Object> patchStatus(const ResourceRef& ref, const ObjectKey& key, PatchType type,
                                   const nlohmann::json& patch, std::stop_token stop = {});
  // Returns what the server answered: a Status for an immediate delete, or the object (with
  // deletionTimestamp) while finalizers hold it.
  util::Result<Object> remove(const ResourceRef& ref, const ObjectKey& key,
                              const DeleteOptions& options = {}, std::stop_token stop = {});
  util::Result<void> watch(const ResourceRef& ref, std::string_view namespace_name,
                           const WatchOptions& options, const WatchCallback& callback,
                           std::stop_token stop = {});
  // GET /version: a cheap reachability and credentials check.
  util::Result<Object> serverVersion(std::stop_token stop = {});

  const std::string& defaultNamespace() const { return default_namespace_; }
  Transport& transport() { return *transport_; }

 private:
  std::string namespaceFor(const ResourceRef& ref, std::string_view namespace_name) const;
  util::Result<Object> call(const HttpRequest& request, std::string_view context,
                            std::stop_token stop);
  util::Result<Object> put(const ResourceRef& ref, const Object& object,
                           std::string_view subresource, std::stop_token stop);
  util::Result<Object> sendPatch(const ResourceRef& ref, const ObjectKey& key, PatchType type,
                                 const nlohmann::json& patch, std::string_view subresource,
                                 std::stop_token stop);

  std::unique_ptr<Transport> transport_;
  std::string default_namespace_;
};

// The URL path of a collection ("/apis/doslab.io/v1/namespaces/default/virtualmachines") or,
// with a name, of one object, optionally with a subresource ("/status").
std::string resourcePath(const ResourceRef& ref, std::string_view namespace_name,
                         std::string_view name = {}, std::string_view subresource = {});

// Percent-encodes a query value (label selectors contain '=', ',', '!', '(' and spaces).
std::string encodeQueryValue(std::string_view value);

}  // namespace univirt::kube
