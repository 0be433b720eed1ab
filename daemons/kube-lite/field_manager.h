#pragma once

// The field manager of the write handlers (k8s.io/apiserver's fieldmanager, on top of
// managed_fields.h): every create, update and patch records its writer in
// metadata.managedFields, and server-side apply (PATCH application/apply-patch+yaml) merges
// with field ownership, conflicts and removal of fields an applier stopped applying
// (kube-api-semantics.md §2.15).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/managed_fields.h"
#include "kube-lite/object_rules.h"
#include "kube-lite/store.h"

namespace univirt::kubelite {

// `subresource` is "" or "status"; `manager` the fieldManager of the request (see
// defaultFieldManager for requests without one).
FieldManagerContext fieldManagerContext(const ResourceType& type, const std::string& subresource,
                                        std::string manager, std::string now);

// Records the write `mutation` makes of `current` (nullptr for a create) as an Update by
// ctx.manager in the metadata.managedFields of the object it stores; a write that then changes
// nothing becomes Keep. `sent` are the managedFields of the client's object: a non-empty list
// replaces the live ones, which is how clients reset ownership (`managedFields: [{}]`).
void trackUpdate(Mutation& mutation, const nlohmann::json* current, const nlohmann::json& sent,
                 const FieldManagerContext& ctx);

struct ApplyOptions {
  FieldManagerContext ctx;
  bool force = false;
  bool status_subresource = false;
  std::string name;  // from the URL
};

// 400 BadRequest for an applied object that is not the one the URL names (apiVersion, kind,
// name, namespace) or that carries managedFields.
std::optional<ApiError> checkApplyConfig(const WriteRules& rules, const nlohmann::json& config,
                                         const std::string& name);

// The mutation a server-side apply of `config` makes of `current` (nullptr: creates it);
// 409 Conflict when it changes fields other managers own and options.force is false.
Mutation applyPatch(const WriteRules& rules, const nlohmann::json* current,
                    const nlohmann::json& config, const ApplyOptions& options,
                    const std::vector<nlohmann::json>& other_crds);

}  // namespace univirt::kubelite
