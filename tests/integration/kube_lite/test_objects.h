#pragma once

// Small builders shared by the kube-lite suites: the fixture CRDs installed over the API and
// VirtualMachine bodies.

#include <string>

#include <nlohmann/json.hpp>

#include "integration/kube_lite/kube_http.h"

namespace univirt::testing {

inline constexpr const char* kVmPath = "/apis/doslab.io/v1/namespaces/default/virtualmachines";
inline constexpr const char* kWidgetPath = "/apis/example.com/v1/namespaces/default/widgets";
inline constexpr const char* kCrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

// Reads a YAML fixture and returns it as JSON.
nlohmann::json yamlFixture(const std::string& name);

// Creates the fixture CRD over the API; returns the HTTP status.
int installCrd(KubeHttp& http, const std::string& fixture);

nlohmann::json vm(const std::string& name, const std::string& powerstate = "Running",
                  const nlohmann::json& labels = nlohmann::json::object());

}  // namespace univirt::testing
