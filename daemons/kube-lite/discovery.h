#pragma once

// Discovery documents (kube-api-semantics.md §2.1, §2.2): /version, legacy /api, /apis,
// /apis/<g>, /api/v1, /apis/<g>/<v>, and aggregated discovery (apidiscovery.k8s.io v2/v2beta1).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube-lite/resource_registry.h"

namespace univirt::kubelite {

inline constexpr const char* kAggregatedV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr const char* kAggregatedV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

nlohmann::json versionInfo(const std::string& minor);
nlohmann::json legacyApiVersions(const std::string& server_address);
nlohmann::json apiGroupList(const RegistrySnapshot& snap);
std::optional<nlohmann::json> apiGroup(const RegistrySnapshot& snap, const std::string& group);
std::optional<nlohmann::json> apiResourceList(const RegistrySnapshot& snap,
                                              const std::string& group, const std::string& version);
// `core` selects /api (the legacy group) or /apis; `api_version` is apidiscovery.k8s.io/v2 or
// apidiscovery.k8s.io/v2beta1.
nlohmann::json aggregatedDiscovery(const RegistrySnapshot& snap, bool core,
                                   const std::string& api_version);

// Which aggregated media type the Accept header asks for first, or "" for legacy JSON.
std::string chooseDiscoveryType(const std::string& accept);

}  // namespace univirt::kubelite
