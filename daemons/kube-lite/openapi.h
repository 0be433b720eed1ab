#pragma once

// OpenAPI v3 (kube-api-semantics.md §2.3, §4.3): the /openapi/v3 index and one document per
// served group-version, built from CRD schemas. kubectl's strict-validation probe looks for a
// PATCH operation with an object-form x-kubernetes-group-version-kind and a fieldValidation
// parameter; `kubectl explain` reads components.schemas with the list form.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube-lite/resource_registry.h"

namespace univirt::kubelite {

nlohmann::json openApiIndex(const RegistrySnapshot& snap);
// `gv_path` is "api/v1" or "apis/<g>/<v>"; nullopt when not served.
std::optional<nlohmann::json> openApiGroupVersion(const RegistrySnapshot& snap,
                                                  const std::string& gv_path);

}  // namespace univirt::kubelite
