#include "kube-lite/field_manager.h"

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

Mutation refuse(ApiError error) {
  Mutation mutation;
  mutation.error = std::move(error);
  return mutation;
}

// Stores `next`, unless it is what is stored already.
void settle(Mutation& mutation, json next, const json* current) {
  if (mutation.action == WriteAction::Remove) {
    mutation.object = std::move(next);
    return;
  }
  if (current != nullptr && next == *current) {
    mutation.action = WriteAction::Keep;
    mutation.object = json();
    return;
  }
  mutation.action = WriteAction::Put;
  mutation.object = std::move(next);
}

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

FieldManagerContext fieldManagerContext(const ResourceType& type, const std::string& subresource,
                                        std::string manager, std::string now) {
  FieldManagerContext ctx;
  ctx.manager = std::move(manager);
  ctx.api_version = type.apiVersion();
  ctx.subresource = subresource;
  ctx.now = std::move(now);
  ctx.type = FieldType::forResource(type);
  ctx.status_is_separate = type.has_status && type.plural != "namespaces";
  return ctx;
}

void trackUpdate(Mutation& mutation, const json* current, const json& sent,
                 const FieldManagerContext& ctx) {
  if (mutation.error || (mutation.action == WriteAction::Keep && current == nullptr)) {
    return;
  }
  ManagedFields base;
  bool from_sent = false;
  if (sent.is_array() && !sent.empty()) {
    auto decoded = decodeManagedFields(sent);
    if (decoded) {
      base = std::move(*decoded);
      from_sent = true;
    }
  }
  if (!from_sent && current != nullptr) {
    auto decoded = decodeManagedFields(managedFieldsOf(*current));
    if (decoded) {
      base = std::move(*decoded);
    }
  }
  json next;
  if (mutation.action == WriteAction::Keep) {
    next = *current;
  } else {
    next = std::move(mutation.object);
  }
  json old = current != nullptr ? *current : json::object();
  setManagedFields(next, recordUpdate(old, next, std::move(base), ctx));
  settle(mutation, std::move(next), current);
}

std::optional<ApiError> checkApplyConfig(const WriteRules& rules, const json& config,
                                         const std::string& name) {
  if (!config.is_object()) {
    return badRequest("error decoding YAML: the applied configuration must be an object");
  }
  std::string api_version = text(config, "apiVersion");
  if (api_version != rules.type.apiVersion()) {
    return badRequest(fmt::format(
        "Incorrect version specified in apply patch. Specified patch version: {}, expected: {}",
        api_version, rules.type.apiVersion()));
  }
  std::string kind = text(config, "kind");
  if (kind != rules.type.kind) {
    return badRequest(
        fmt::format("the kind in the apply patch ({}) does not match the kind of the resource ({})",
                    kind, rules.type.kind));
  }
  json meta = config.contains("metadata") ? config["metadata"] : json::object();
  if (!meta.is_object()) {
    return badRequest("metadata must be an object");
  }
  if (meta.contains("managedFields") && !meta["managedFields"].is_null()) {
    return badRequest("metadata.managedFields must be nil");
  }
  std::string object_name = text(meta, "name");
  if (object_name != name) {
    return badRequest(fmt::format(
        "the name of the object ({}) does not match the name on the URL ({})", object_name, name));
  }
  std::string ns = text(meta, "namespace");
  if (rules.type.namespaced && !ns.empty() && ns != rules.ns) {
    return badRequest(
        fmt::format("the namespace of the object ({}) does not match the namespace on the "
                    "request ({})",
                    ns, rules.ns));
  }
  return std::nullopt;
}

Mutation applyPatch(const WriteRules& rules, const json* current, const json& config,
                    const ApplyOptions& options, const std::vector<json>& other_crds) {
  const FieldManagerContext& ctx = options.ctx;
  PreparedApply prepared = prepareApply(current, config, ctx);
  json object = prepared.object;
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  if (current == nullptr) {
    object["metadata"]["name"] = options.name;
    if (auto err = normalizeObject(rules, object, options.name)) {
      return refuse(std::move(*err));
    }
    Mutation created = prepareCreate(rules, std::move(object), other_crds);
    if (created.error) {
      return created;
    }
    ApplyOutcome outcome =
        finishApply(json::object(), created.object, std::move(prepared), ctx, options.force);
    setManagedFields(created.object, outcome.managers);
    return created;
  }
  std::string rv = text(object["metadata"], "resourceVersion");
  if (!rv.empty() && rv != text((*current)["metadata"], "resourceVersion")) {
    return refuse(conflict(rules.type.names(), options.name));
  }
  if (auto err = normalizeObject(rules, object, options.name)) {
    return refuse(std::move(*err));
  }
  Mutation updated =
      prepareUpdate(rules, *current, std::move(object), options.status_subresource, other_crds);
  if (updated.error) {
    return updated;
  }
  json next = updated.action == WriteAction::Keep ? *current : updated.object;
  ApplyOutcome outcome = finishApply(*current, next, std::move(prepared), ctx, options.force);
  if (!outcome.conflicts.empty()) {
    return refuse(applyConflict(outcome.conflicts));
  }
  setManagedFields(next, outcome.managers);
  syncLastApplied(next, config, ctx.manager);
  settle(updated, std::move(next), current);
  return updated;
}

}  // namespace univirt::kubelite
