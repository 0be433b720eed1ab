#pragma once

// CustomResourceDefinition handling: create-time defaults and validation, the status the
// real apiextensions-apiserver writes (NamesAccepted/Established, §4.6), and the resource
// types a CRD serves.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/resource_type.h"

namespace univirt::kubelite {

inline constexpr const char* kCrdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

// Applies spec defaults (singular, listKind, conversion) and returns validation causes.
std::vector<Cause> defaultAndValidateCrd(nlohmann::json& crd);

// Writes status.conditions/acceptedNames/storedVersions. `others` are the other stored CRDs,
// used to detect name conflicts inside the group. `now` is an RFC 3339 timestamp.
void setCrdStatus(nlohmann::json& crd, const std::vector<nlohmann::json>& others,
                  const std::string& now);

bool crdIsEstablished(const nlohmann::json& crd);

// One ResourceType per served version.
std::vector<ResourceType> typesFromCrd(const nlohmann::json& crd);

}  // namespace univirt::kubelite
