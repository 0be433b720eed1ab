#pragma once

// The rules the real apiserver's registry strategies apply to every write: server-owned
// metadata, generateName, status subresource semantics, generation bumps, finalizers and
// deletion, and for custom resources pruning/defaulting/validation with fieldValidation
// (kube-api-semantics.md §2.9, §2.11–§2.13, §2.16, §2.17).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/resource_type.h"
#include "kube-lite/store.h"

namespace univirt::kubelite {

enum class FieldValidation { Ignore, Warn, Strict };

FieldValidation parseFieldValidation(const std::string& value);

struct WriteRules {
  const ResourceType& type;
  std::string ns;   // from the URL ("" for cluster-scoped)
  std::string now;  // RFC 3339, second precision
  FieldValidation validation = FieldValidation::Warn;
  std::vector<std::string>* warnings = nullptr;  // Warning headers to send
};

// Checks apiVersion/kind/namespace of a client body against the endpoint.
std::optional<ApiError> checkBodyIdentity(const WriteRules& rules, const nlohmann::json& body);

// Prunes, defaults and validates a custom resource (no-op for built-ins).
std::optional<ApiError> normalizeObject(const WriteRules& rules, nlohmann::json& object,
                                        const std::string& name);

// Builds the object a create stores: metadata owned by the server, status dropped when the
// resource has a status subresource, CRD defaults and status. `name` must already be final.
Mutation prepareCreate(const WriteRules& rules, nlohmann::json object,
                       const std::vector<nlohmann::json>& other_crds);

// Builds the object an update of `current` to `updated` stores (main resource or /status).
// Returns Keep for no-op updates, Remove when the last finalizer of a deleting object went.
// metadata.managedFields stay those of `current`: the field manager (field_manager.h) writes them.
Mutation prepareUpdate(const WriteRules& rules, const nlohmann::json& current,
                       nlohmann::json updated, bool status_subresource,
                       const std::vector<nlohmann::json>& other_crds);

// Deletion: Remove when there are no finalizers, else Put with deletionTimestamp set.
Mutation prepareDelete(const WriteRules& rules, const nlohmann::json& current);

// generateName suffix: 5 characters from the apiserver's alphabet.
std::string generateNameSuffix();
std::string newUid();
bool isDns1123Subdomain(const std::string& name);

}  // namespace univirt::kubelite
