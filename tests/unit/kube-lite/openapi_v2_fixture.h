#pragma once

// CRDs for the /openapi/v2 unit tests: a Widget like tests/fixtures/kube-lite/widget-crd.yaml
// (strict schema, status subresource) in two served versions and one unserved version, and a
// Gadget whose schema uses what OpenAPI v2 cannot say (nullable, oneOf, int-or-string,
// preserved unknown fields, an embedded resource).

#include <nlohmann/json.hpp>

namespace univirt::kubelite::testing {

inline nlohmann::json establishedCrd(nlohmann::json spec) {
  std::string name =
      spec["names"]["plural"].get<std::string>() + "." + spec["group"].get<std::string>();
  return {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", name}}},
      {"spec", std::move(spec)},
      {"status",
       {{"conditions", nlohmann::json::array({{{"type", "Established"}, {"status", "True"}}})}}}};
}

inline nlohmann::json widgetCrd() {
  nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object",
    "description": "Widget is a test kind.",
    "properties": {
      "spec": {"type": "object", "required": ["cpu"], "properties": {
        "cpu": {"type": "integer", "minimum": 1},
        "color": {"type": "string", "enum": ["red", "green", "blue"]},
        "size": {"type": "string", "default": "small"}}},
      "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}})");
  nlohmann::json version = {{"name", "v1"},
                            {"served", true},
                            {"storage", true},
                            {"subresources", {{"status", nlohmann::json::object()}}},
                            {"schema", {{"openAPIV3Schema", schema}}}};
  nlohmann::json beta = version;
  beta["name"] = "v1beta1";
  beta["storage"] = false;
  nlohmann::json alpha = beta;
  alpha["name"] = "v1alpha1";
  alpha["served"] = false;
  return establishedCrd({{"group", "example.com"},
                         {"scope", "Namespaced"},
                         {"names", {{"kind", "Widget"}, {"plural", "widgets"}}},
                         {"versions", nlohmann::json::array({version, beta, alpha})}});
}

inline nlohmann::json gadgetCrd() {
  nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {"type": "object", "required": ["name", "note"], "properties": {
        "name": {"type": "string", "maxLength": 63, "pattern": "^[a-z]+$"},
        "note": {"type": "string", "nullable": true},
        "port": {"x-kubernetes-int-or-string": true,
                 "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "mode": {"type": "string", "oneOf": [{"enum": ["a"]}, {"enum": ["b"]}]},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                  "properties": {"kept": {"type": "string"}}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set",
                 "items": {"type": "string"}},
        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                     "properties": {"spec": {"type": "object",
                                             "properties": {"x": {"type": "string"}}}}}}}}})");
  return establishedCrd(
      {{"group", "gadgets.example.org"},
       {"scope", "Cluster"},
       {"names", {{"kind", "Gadget"}, {"plural", "gadgets"}, {"listKind", "GadgetList"}}},
       {"versions", nlohmann::json::array({{{"name", "v2"},
                                            {"served", true},
                                            {"storage", true},
                                            {"schema", {{"openAPIV3Schema", schema}}}}})}});
}

}  // namespace univirt::kubelite::testing
