#pragma once

// Structural OpenAPI v3 schemas of CRDs (kube-api-semantics.md §2.17): the structural check
// a CRD must pass, and for custom resources pruning, defaulting and validation.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"

namespace univirt::kubelite {

// Causes for a schema that is not structural (missing types, $ref, ...). `field` prefixes paths.
std::vector<Cause> checkStructural(const nlohmann::json& schema, const std::string& field);

// Removes fields the schema does not describe (unless x-kubernetes-preserve-unknown-fields) and
// metadata fields that are not ObjectMeta; returns the dotted paths removed.
std::vector<std::string> pruneObject(nlohmann::json& object, const nlohmann::json& schema);

// Fills `default:` values inside objects that exist.
void applyDefaults(nlohmann::json& object, const nlohmann::json& schema);

// Validates the object (without metadata) against the schema.
std::vector<Cause> validateObject(const nlohmann::json& object, const nlohmann::json& schema);

}  // namespace univirt::kubelite
