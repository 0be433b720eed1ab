// DELETE of one object and DELETE of a collection, with finalizers, deletionTimestamp,
// preconditions, CRD cleanup and namespace contents (kube-api-semantics.md §2.13).

#include <set>

#include <fmt/format.h>

#include "kube-lite/api_server.h"
#include "kube-lite/crd.h"
#include "kube-lite/list_options.h"
#include "kube-lite/object_rules.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

struct Preconditions {
  std::string uid;
  std::string resource_version;
};

}  // namespace

void ApiServer::handleDelete(const Request& req, const Target& target, Reply reply) {
  const ResourceType& type = *target.type;
  if (!target.subresource.empty()) {
    sendError(reply, methodNotAllowed());
    return;
  }
  Preconditions pre;
  bool dry_run = req.param("dryRun") == "All";
  if (!req.body.empty()) {
    json options;
    if (auto err = decodeBody(req, options, false)) {
      sendError(reply, *err);
      return;
    }
    if (options.is_object() && options.contains("preconditions") &&
        options["preconditions"].is_object()) {
      pre.uid = options["preconditions"].value("uid", "");
      pre.resource_version = options["preconditions"].value("resourceVersion", "");
    }
    if (options.is_object() && options.contains("dryRun") && options["dryRun"].is_array() &&
        !options["dryRun"].empty()) {
      dry_run = true;
    }
  }
  WriteRules rules{type, type.namespaced ? target.ns : "", now()};
  std::vector<json> crds;
  bool is_crd = type.storageKey() == kCrdStorageKey;
  if (is_crd) {
    crds = storedCrds();
  }
  Mutator mutator = [&](const json* current, int64_t) {
    Mutation refused;
    if (current == nullptr) {
      refused.error = notFound(type.names(), target.name);
      return refused;
    }
    const json& meta = (*current)["metadata"];
    if (!pre.uid.empty() && pre.uid != meta.value("uid", "")) {
      refused.error = conflictMessage(
          type.names(), target.name,
          fmt::format("Precondition failed: UID in precondition: {}, UID in object meta: {}",
                      pre.uid, meta.value("uid", "")));
      return refused;
    }
    if (!pre.resource_version.empty() &&
        pre.resource_version != meta.value("resourceVersion", "")) {
      refused.error =
          conflictMessage(type.names(), target.name,
                          fmt::format("Precondition failed: ResourceVersion in precondition: {}, "
                                      "ResourceVersion in object meta: {}",
                                      pre.resource_version, meta.value("resourceVersion", "")));
      return refused;
    }
    Mutation mutation = prepareDelete(rules, *current);
    if (is_crd && mutation.action == WriteAction::Put) {
      setCrdStatus(mutation.object, crds, rules.now);
    }
    return mutation;
  };
  ObjectKey key = keyOf(target, target.name);
  if (dry_run) {
    auto current = store_.get(key);
    if (!current) {
      sendError(reply, notFound(type.names(), target.name));
      return;
    }
    sendJson(reply, 200, served(type, *current));
    return;
  }
  MutationResult result = store_.mutate(key, mutator);
  if (result.error) {
    sendError(reply, *result.error);
    return;
  }
  if (is_crd) {
    json crd = result.action == WriteAction::Keep ? *store_.get(key) : result.object;
    finishCrdDeletion(crd);
    sendJson(reply, 200, crd);
    return;
  }
  if (type.plural == "namespaces" && type.group.empty() && result.action == WriteAction::Remove) {
    deleteNamespaceContents(target.name);
  }
  if (result.action == WriteAction::Remove && !type.builtin) {
    sendJson(reply, 200,
             successStatus(type.names(), target.name, result.object["metadata"].value("uid", "")));
    return;
  }
  json object = result.action == WriteAction::Keep ? *store_.get(key) : result.object;
  sendJson(reply, 200, served(type, object));
}

void ApiServer::finishCrdDeletion(const json& crd) {
  const json& spec = crd["spec"];
  std::string storage_key = spec.value("group", "") + "/" + spec["names"].value("plural", "");
  ListPage page = store_.list(storage_key, "", "", 0, nullptr);
  for (const auto& object : page.items) {
    ObjectKey key{storage_key, object["metadata"].value("namespace", ""),
                  object["metadata"].value("name", "")};
    store_.mutate(key, [](const json* current, int64_t) {
      Mutation mutation;
      if (current != nullptr) {
        mutation.action = WriteAction::Remove;
        mutation.object = *current;
      }
      return mutation;
    });
  }
  // The cleanup controller's last step: drop our finalizer; the CRD goes when none remain.
  ObjectKey crd_key{kCrdStorageKey, "", crd["metadata"].value("name", "")};
  store_.mutate(crd_key, [](const json* current, int64_t) {
    Mutation mutation;
    if (current == nullptr) {
      return mutation;
    }
    json next = *current;
    json kept = json::array();
    for (const auto& f : next["metadata"].value("finalizers", json::array())) {
      if (f != kCrdCleanupFinalizer) {
        kept.push_back(f);
      }
    }
    if (kept.size() == next["metadata"].value("finalizers", json::array()).size()) {
      return mutation;
    }
    next["metadata"]["finalizers"] = kept;
    mutation.action = kept.empty() ? WriteAction::Remove : WriteAction::Put;
    mutation.object = std::move(next);
    return mutation;
  });
  refreshCrds();
}

void ApiServer::deleteNamespaceContents(const std::string& ns) {
  auto snap = registry_.snapshot();
  std::set<std::string> done;
  for (const auto& type : *snap) {
    if (!type.namespaced || !done.insert(type.storageKey()).second) {
      continue;
    }
    ListPage page = store_.list(type.storageKey(), ns, "", 0, nullptr);
    for (const auto& object : page.items) {
      store_.mutate(ObjectKey{type.storageKey(), ns, object["metadata"].value("name", "")},
                    [](const json* current, int64_t) {
                      Mutation mutation;
                      if (current != nullptr) {
                        mutation.action = WriteAction::Remove;
                        mutation.object = *current;
                      }
                      return mutation;
                    });
    }
  }
}

void ApiServer::handleDeleteCollection(const Request& req, const Target& target, Reply reply) {
  const ResourceType& type = *target.type;
  ListOptions options;
  if (auto err = parseListOptions(req, type, false, options)) {
    sendError(reply, *err);
    return;
  }
  std::string ns = type.namespaced ? target.ns : "";
  ListPage page = store_.list(type.storageKey(), ns, "", 0,
                              [&](const json& object) { return options.matches(object); });
  WriteRules rules{type, ns, now()};
  json items = json::array();
  for (const auto& object : page.items) {
    std::string object_ns = object["metadata"].value("namespace", "");
    ObjectKey key{type.storageKey(), object_ns, object["metadata"].value("name", "")};
    MutationResult result = store_.mutate(key, [&](const json* current, int64_t) {
      if (current == nullptr) {
        return Mutation{};
      }
      return prepareDelete(rules, *current);
    });
    if (result.action != WriteAction::Keep) {
      items.push_back(served(type, result.object));
      afterWrite(type, result);
    }
  }
  sendJson(reply, 200,
           {{"kind", type.list_kind},
            {"apiVersion", type.apiVersion()},
            {"metadata", {{"resourceVersion", std::to_string(store_.currentRv())}}},
            {"items", items}});
}

}  // namespace univirt::kubelite
