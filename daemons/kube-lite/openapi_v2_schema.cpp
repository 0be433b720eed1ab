#include "kube-lite/openapi_v2_schema.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

// The Swagger 2.0 schema keywords a CRD schema can carry over; anything else that is not an
// x- extension has no v2 meaning (nullable, oneOf, patternProperties, …).
constexpr std::array<std::string_view, 25> kKeptKeys = {"$ref",
                                                        "format",
                                                        "title",
                                                        "description",
                                                        "default",
                                                        "multipleOf",
                                                        "maximum",
                                                        "exclusiveMaximum",
                                                        "minimum",
                                                        "exclusiveMinimum",
                                                        "maxLength",
                                                        "minLength",
                                                        "pattern",
                                                        "maxItems",
                                                        "minItems",
                                                        "uniqueItems",
                                                        "maxProperties",
                                                        "minProperties",
                                                        "required",
                                                        "enum",
                                                        "additionalProperties",
                                                        "type",
                                                        "items",
                                                        "properties",
                                                        "example"};

constexpr std::array<std::string_view, 6> kTypes = {"object",  "array",  "string",
                                                    "integer", "number", "boolean"};

bool isTrue(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

bool kept(const std::string& key) {
  return key.rfind("x-", 0) == 0 ||
         std::find(kKeptKeys.begin(), kKeptKeys.end(), key) != kKeptKeys.end();
}

void dropRequired(json& out, const std::string& name) {
  json& required = out["required"];
  required.erase(std::remove(required.begin(), required.end(), json(name)), required.end());
}

}  // namespace

json toOpenApiV2Schema(const json& v3) {
  if (!v3.is_object()) {
    return json::object();
  }
  json out = json::object();
  for (const auto& [key, value] : v3.items()) {
    if (kept(key)) {
      out[key] = value;
    }
  }
  // Decided on the children as they are in v3, before they are converted.
  if (out.contains("required") && out["required"].is_array()) {
    if (v3.contains("properties") && v3["properties"].is_object()) {
      for (const auto& [name, property] : v3["properties"].items()) {
        if (property.is_object() && isTrue(property, "nullable")) {
          dropRequired(out, name);
        }
      }
    }
    if (v3.contains("additionalProperties") && v3["additionalProperties"].is_object() &&
        isTrue(v3["additionalProperties"], "nullable")) {
      out.erase("required");
    }
  }
  bool preserve = isTrue(v3, "x-kubernetes-preserve-unknown-fields");
  if (isTrue(v3, "nullable")) {
    out.erase("type");
    out.erase("items");
    out.erase("properties");
  }
  if (preserve) {
    out.erase("items");
    out.erase("properties");
  }
  std::string type =
      out.contains("type") && out["type"].is_string() ? out["type"].get<std::string>() : "";
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end() ||
      (type == "array" && !out.contains("items")) || (preserve && type == "object")) {
    out.erase("type");
  }
  if (out.contains("properties")) {
    json& properties = out["properties"];
    if (!properties.is_object()) {
      properties = json::object();
    }
    for (auto& [name, property] : properties.items()) {
      property = toOpenApiV2Schema(property);
    }
  }
  if (out.contains("items")) {
    json& items = out["items"];
    if (items.is_array()) {
      for (auto& item : items) {
        item = toOpenApiV2Schema(item);
      }
    } else {
      items = toOpenApiV2Schema(items);
    }
  }
  if (out.contains("additionalProperties") && out["additionalProperties"].is_object()) {
    out["additionalProperties"] = toOpenApiV2Schema(out["additionalProperties"]);
  }
  if (out.contains("required") && (!out["required"].is_array() || out["required"].empty())) {
    out.erase("required");
  }
  return out;
}

void addEmbeddedResourceProperties(json& schema) {
  if (!schema.is_object()) {
    return;
  }
  if (schema.contains("properties") && schema["properties"].is_object()) {
    for (auto& [name, property] : schema["properties"].items()) {
      addEmbeddedResourceProperties(property);
    }
  }
  if (schema.contains("items")) {
    addEmbeddedResourceProperties(schema["items"]);
  }
  if (schema.contains("additionalProperties")) {
    addEmbeddedResourceProperties(schema["additionalProperties"]);
  }
  // Unknown fields are allowed there: properties would make kubectl refuse them.
  if (isTrue(schema, "x-kubernetes-preserve-unknown-fields") ||
      !isTrue(schema, "x-kubernetes-embedded-resource")) {
    return;
  }
  json& properties = schema["properties"];
  properties["apiVersion"] = {{"type", "string"},
                              {"description",
                               "APIVersion defines the versioned schema of this representation "
                               "of an object."}};
  properties["kind"] = {{"type", "string"},
                        {"description",
                         "Kind is a string value representing the REST resource this object "
                         "represents."}};
  properties["metadata"] = {{"$ref", kObjectMetaRef}};
  json& required = schema["required"];
  if (!required.is_array()) {
    required = json::array();
  }
  for (const char* name : {"kind", "apiVersion"}) {
    if (std::find(required.begin(), required.end(), json(name)) == required.end()) {
      required.push_back(name);
    }
  }
}

}  // namespace univirt::kubelite
