// CREATE (POST), UPDATE (PUT) and PATCH, including /status and server-side apply
// (kube-api-semantics.md §2.9, §2.13, §2.15, §2.16).

#include <fmt/format.h>

#include "kube-lite/api_server.h"
#include "kube-lite/field_manager.h"
#include "kube-lite/object_rules.h"
#include "kube-lite/patch.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

constexpr int kGenerateNameAttempts = 8;  // RetryGenerateName tries a few fresh suffixes

Headers warningHeaders(const std::vector<std::string>& warnings) {
  Headers headers;
  for (const auto& warning : warnings) {
    json quoted = warning;
    headers.emplace_back("Warning", "299 - " + quoted.dump());
  }
  return headers;
}

std::string mediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.pop_back();
  }
  return type;
}

bool isDryRun(const Request& req) { return req.param("dryRun") == "All"; }

Mutation refuse(ApiError error) {
  Mutation mutation;
  mutation.error = std::move(error);
  return mutation;
}

enum class PatchKind { Apply, Merge, Json, Strategic, Unsupported };

PatchKind patchKind(const std::string& media, bool builtin) {
  if (media == "application/apply-patch+yaml") {
    return PatchKind::Apply;
  }
  if (media == "application/merge-patch+json") {
    return PatchKind::Merge;
  }
  if (media == "application/json-patch+json") {
    return PatchKind::Json;
  }
  if (media == "application/strategic-merge-patch+json" && builtin) {
    return PatchKind::Strategic;
  }
  return PatchKind::Unsupported;
}

PatchOutcome runPatch(PatchKind kind, const json& current, const json& patch) {
  switch (kind) {
    case PatchKind::Merge:
      return applyMergePatch(current, patch);
    case PatchKind::Json:
      return applyJsonPatch(current, patch);
    case PatchKind::Apply:  // handled by applyPatch (field_manager.h)
    case PatchKind::Strategic:
    case PatchKind::Unsupported:
      break;
  }
  return applyStrategicMergePatch(current, patch);
}

// The fieldManager of a write: the query parameter, else derived from the User-Agent.
std::string fieldManagerOf(const Request& req) {
  std::string manager = req.param("fieldManager");
  return manager.empty() ? defaultFieldManager(req.header("user-agent")) : manager;
}

// PatchOptions validation (ValidatePatchOptions): 422 Invalid PatchOptions.meta.k8s.io "".
ApiError invalidPatchOptions(const Cause& cause) {
  ApiError error = invalid(ResourceName{"meta.k8s.io", "", "PatchOptions"}, "", {cause});
  error.details.erase("name");
  return error;
}

// Runs `mutator` without persisting anything (dryRun=All).
MutationResult dryRun(Store& store, const ObjectKey& key, const Mutator& mutator) {
  auto current = store.get(key);
  Mutation mutation = mutator(current ? &*current : nullptr, store.currentRv() + 1);
  MutationResult result;
  result.error = std::move(mutation.error);
  result.action = mutation.action;
  result.created = !current;
  result.object = mutation.action == WriteAction::Keep && current ? *current : mutation.object;
  return result;
}

}  // namespace

void ApiServer::handleCreate(const Request& req, const Target& target, Reply reply) {
  const ResourceType& type = *target.type;
  if (!target.subresource.empty()) {
    sendError(reply, methodNotAllowed());
    return;
  }
  json body;
  bool yaml = req.header("content-type").find("yaml") != std::string::npos;
  if (auto err = decodeBody(req, body, yaml)) {
    sendError(reply, *err);
    return;
  }
  std::vector<std::string> warnings;
  WriteRules rules{type, type.namespaced ? target.ns : "", now(),
                   parseFieldValidation(req.param("fieldValidation")), &warnings};
  if (auto err = checkBodyIdentity(rules, body)) {
    sendError(reply, *err);
    return;
  }
  if (auto err = checkNamespaceExists(target)) {
    sendError(reply, *err);
    return;
  }
  if (!body.contains("metadata")) {
    body["metadata"] = json::object();
  }
  json& meta = body["metadata"];
  if (!meta.value("resourceVersion", "").empty()) {
    sendError(reply, internalError("resourceVersion should not be set on objects to be created"));
    return;
  }
  std::string name = meta.value("name", "");
  std::string generate = meta.value("generateName", "");
  if (name.empty() && generate.empty()) {
    sendError(reply,
              invalid(type.names(), "",
                      {{"FieldValueRequired", "Required value: name or generateName is required",
                        "metadata.name"}}));
    return;
  }
  if (!name.empty() && !isDns1123Subdomain(name)) {
    sendError(reply,
              invalid(type.names(), name,
                      {{"FieldValueInvalid",
                        fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 subdomain must "
                                    "consist of lower case alphanumeric characters, '-' or '.', "
                                    "and must start and end with an alphanumeric character",
                                    name),
                        "metadata.name"}}));
    return;
  }
  if (auto err = normalizeObject(rules, body, name.empty() ? generate : name)) {
    sendError(reply, *err);
    return;
  }
  std::vector<json> crds;
  if (type.storageKey() == kCrdStorageKey) {
    crds = storedCrds();
  }
  json sent_managed = managedFieldsOf(body);
  FieldManagerContext fields = fieldManagerContext(type, "", fieldManagerOf(req), rules.now);
  MutationResult result;
  for (int attempt = 0; attempt < kGenerateNameAttempts; ++attempt) {
    json object = body;
    std::string final_name = name;
    if (final_name.empty()) {
      final_name = generate.substr(0, 58) + generateNameSuffix();
      object["metadata"]["name"] = final_name;
    }
    reply.audit.name = final_name;
    Mutator mutator = [&](const json* current, int64_t) {
      if (current != nullptr) {
        Mutation refused;
        refused.error = alreadyExists(type.names(), final_name);
        return refused;
      }
      Mutation created = prepareCreate(rules, object, crds);
      trackUpdate(created, nullptr, sent_managed, fields);
      return created;
    };
    ObjectKey key = keyOf(target, final_name);
    result = isDryRun(req) ? dryRun(store_, key, mutator) : store_.mutate(key, mutator);
    if (!(result.error && result.error->reason == "AlreadyExists" && name.empty())) {
      break;
    }
  }
  if (result.error) {
    sendError(reply, *result.error);
    return;
  }
  afterWrite(type, result);
  sendJson(reply, 201, served(type, result.object), "application/json", warningHeaders(warnings));
}

void ApiServer::handleUpdate(const Request& req, const Target& target, Reply reply) {
  const ResourceType& type = *target.type;
  json body;
  bool yaml = req.header("content-type").find("yaml") != std::string::npos;
  if (auto err = decodeBody(req, body, yaml)) {
    sendError(reply, *err);
    return;
  }
  std::vector<std::string> warnings;
  WriteRules rules{type, type.namespaced ? target.ns : "", now(),
                   parseFieldValidation(req.param("fieldValidation")), &warnings};
  if (auto err = checkBodyIdentity(rules, body)) {
    sendError(reply, *err);
    return;
  }
  if (!body.contains("metadata")) {
    body["metadata"] = json::object();
  }
  std::string body_name = body["metadata"].value("name", "");
  if (body_name != target.name) {
    sendError(reply, badRequest(fmt::format(
                         "the name of the object ({}) does not match the name on the URL ({})",
                         body_name, target.name)));
    return;
  }
  std::string rv = body["metadata"].value("resourceVersion", "");
  if (rv.empty() && !type.builtin) {
    sendError(reply,
              invalid(type.names(), target.name,
                      {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                        "metadata.resourceVersion"}}));
    return;
  }
  if (auto err = normalizeObject(rules, body, target.name)) {
    sendError(reply, *err);
    return;
  }
  if (auto err = checkNamespaceExists(target)) {
    sendError(reply, *err);
    return;
  }
  std::vector<json> crds;
  if (type.storageKey() == kCrdStorageKey) {
    crds = storedCrds();
  }
  bool status = target.subresource == "status";
  json sent_managed = managedFieldsOf(body);
  FieldManagerContext fields =
      fieldManagerContext(type, target.subresource, fieldManagerOf(req), rules.now);
  Mutator mutator = [&](const json* current, int64_t) {
    if (current == nullptr) {
      if (type.create_on_update && !status) {
        json object = body;
        object["metadata"].erase("resourceVersion");
        Mutation created = prepareCreate(rules, std::move(object), crds);
        trackUpdate(created, nullptr, sent_managed, fields);
        return created;
      }
      Mutation refused;
      refused.error = notFound(type.names(), target.name);
      return refused;
    }
    if (!rv.empty() && rv != (*current)["metadata"].value("resourceVersion", "")) {
      Mutation refused;
      refused.error = conflict(type.names(), target.name);
      return refused;
    }
    Mutation updated = prepareUpdate(rules, *current, body, status, crds);
    trackUpdate(updated, current, sent_managed, fields);
    return updated;
  };
  ObjectKey key = keyOf(target, target.name);
  MutationResult result =
      isDryRun(req) ? dryRun(store_, key, mutator) : store_.mutate(key, mutator);
  if (result.error) {
    sendError(reply, *result.error);
    return;
  }
  afterWrite(type, result);
  sendJson(reply, result.created ? 201 : 200, served(type, result.object), "application/json",
           warningHeaders(warnings));
}

void ApiServer::handlePatch(const Request& req, const Target& target, Reply reply) {
  const ResourceType& type = *target.type;
  std::string media = mediaType(req.header("content-type"));
  PatchKind kind = patchKind(media, type.builtin);
  if (kind == PatchKind::Unsupported) {
    sendError(reply, unsupportedMediaType());
    return;
  }
  bool apply = kind == PatchKind::Apply;
  if (req.has("force") && !apply) {
    sendError(reply, invalidPatchOptions({"FieldValueForbidden",
                                          "Forbidden: may not be specified for non-apply patch",
                                          "force"}));
    return;
  }
  std::string manager = req.param("fieldManager");
  if (apply && manager.empty()) {
    sendError(reply,
              invalidPatchOptions({"FieldValueRequired",
                                   "Required value: is required for apply patch", "fieldManager"}));
    return;
  }
  if (manager.size() > 128) {
    sendError(reply,
              invalidPatchOptions({"FieldValueTooLong", "Too long: may not be more than 128 bytes",
                                   "fieldManager"}));
    return;
  }
  json patch;
  if (auto err = decodeBody(req, patch, apply)) {
    sendError(reply, *err);
    return;
  }
  std::vector<std::string> warnings;
  WriteRules rules{type, type.namespaced ? target.ns : "", now(),
                   parseFieldValidation(req.param("fieldValidation")), &warnings};
  if (apply) {
    if (auto err = checkApplyConfig(rules, patch, target.name)) {
      sendError(reply, *err);
      return;
    }
  }
  if (auto err = checkNamespaceExists(target)) {
    sendError(reply, *err);
    return;
  }
  std::vector<json> crds;
  if (type.storageKey() == kCrdStorageKey) {
    crds = storedCrds();
  }
  bool status = target.subresource == "status";
  FieldManagerContext fields =
      fieldManagerContext(type, target.subresource, fieldManagerOf(req), rules.now);
  ApplyOptions apply_options{fields, parseBoolParam(req.param("force")), status, target.name};
  Mutator mutator = [&](const json* current, int64_t) {
    if (current == nullptr && (!apply || status)) {
      return refuse(notFound(type.names(), target.name));
    }
    if (apply) {
      return applyPatch(rules, current, patch, apply_options, crds);
    }
    PatchOutcome outcome = runPatch(kind, *current, patch);
    if (!outcome.ok) {
      return refuse(outcome.code == 422 ? invalid(type.names(), target.name,
                                                  {{"FieldValueInvalid", outcome.message, ""}})
                                        : badRequest(outcome.message));
    }
    json patched = std::move(outcome.result);
    if (!patched.is_object() || !patched.contains("metadata") || !patched["metadata"].is_object()) {
      return refuse(badRequest("the patched object has no metadata"));
    }
    std::string rv = patched["metadata"].value("resourceVersion", "");
    if (!rv.empty() && rv != (*current)["metadata"].value("resourceVersion", "")) {
      return refuse(conflict(type.names(), target.name));
    }
    if (auto err = normalizeObject(rules, patched, target.name)) {
      return refuse(std::move(*err));
    }
    json sent_managed = managedFieldsOf(patched);
    Mutation updated = prepareUpdate(rules, *current, std::move(patched), status, crds);
    trackUpdate(updated, current, sent_managed, fields);
    return updated;
  };

  ObjectKey key = keyOf(target, target.name);
  MutationResult result =
      isDryRun(req) ? dryRun(store_, key, mutator) : store_.mutate(key, mutator);
  if (result.error) {
    sendError(reply, *result.error);
    return;
  }
  afterWrite(type, result);
  sendJson(reply, result.created ? 201 : 200, served(type, result.object), "application/json",
           warningHeaders(warnings));
}

}  // namespace univirt::kubelite
