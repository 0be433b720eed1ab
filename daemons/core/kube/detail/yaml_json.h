#pragma once

// YAML → nlohmann::json at the edge (style.md §13): the rest of the client sees JSON only.

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kube::detail {

// Parses one YAML document. Untagged plain scalars become booleans, integers, floats or null
// when they look like one (YAML 1.2 core schema); quoted scalars stay strings.
// `what` names the source in the error message ("kubeconfig '/root/.kube/config'").
util::Result<nlohmann::json> parseYaml(std::string_view text, std::string_view what);

// RFC 4648 base64 (the *-data fields of a kubeconfig); whitespace is ignored.
util::Result<std::string> decodeBase64(std::string_view text, std::string_view what);

}  // namespace univirt::kube::detail
