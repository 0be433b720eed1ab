#include "kube-lite/openapi_v2_schema.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

TEST(OpenApiV2Schema, DropsJunctorsAndV3OnlyKeysButKeepsExtensionsAndValidations) {
  json v3 = json::parse(R"({
    "type": "object", "description": "d", "nullable": false,
    "allOf": [{"required": ["a"]}], "oneOf": [{"required": ["a"]}],
    "anyOf": [{"required": ["b"]}], "not": {"required": ["c"]},
    "patternProperties": {"^x": {"type": "string"}},
    "x-kubernetes-validations": [{"rule": "self.a > 0"}],
    "x-kubernetes-map-type": "granular",
    "properties": {"a": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 9,
                         "exclusiveMaximum": true, "default": 3, "example": 4,
                         "multipleOf": 1, "enum": [1, 3]},
                   "b": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^b",
                         "title": "B"}},
    "required": ["a"], "minProperties": 1, "maxProperties": 2})");
  json v2 = toOpenApiV2Schema(v3);
  for (const char* gone : {"nullable", "allOf", "oneOf", "anyOf", "not", "patternProperties"}) {
    EXPECT_FALSE(v2.contains(gone)) << gone;
  }
  EXPECT_EQ(v2["x-kubernetes-validations"], v3["x-kubernetes-validations"]);
  EXPECT_EQ(v2["x-kubernetes-map-type"], "granular");
  EXPECT_EQ(v2["properties"], v3["properties"]);
  EXPECT_EQ(v2["required"], json::array({"a"}));
  EXPECT_EQ(v2["minProperties"], 1);
  EXPECT_EQ(v2["maxProperties"], 2);
  EXPECT_EQ(v2["type"], "object");
}

TEST(OpenApiV2Schema, NullableLosesTypeAndChildrenAndIsNoLongerRequired) {
  json v3 = json::parse(R"({
    "type": "object", "required": ["n", "m", "k"],
    "properties": {
      "n": {"type": "object", "nullable": true, "description": "kept",
            "properties": {"x": {"type": "string"}}},
      "m": {"type": "array", "nullable": true, "items": {"type": "string"}},
      "k": {"type": "string"}}})");
  json v2 = toOpenApiV2Schema(v3);
  EXPECT_EQ(v2["required"], json::array({"k"}));
  EXPECT_EQ(v2["properties"]["n"], json({{"description", "kept"}}));
  EXPECT_EQ(v2["properties"]["m"], json::object());

  json map = json::parse(R"({"type": "object", "required": ["a"],
    "additionalProperties": {"type": "string", "nullable": true}})");
  json map_v2 = toOpenApiV2Schema(map);
  EXPECT_FALSE(map_v2.contains("required"));
  EXPECT_EQ(map_v2["additionalProperties"], json::object());
}

TEST(OpenApiV2Schema, PreservedUnknownFieldsObjectBecomesUntypedWithoutProperties) {
  json v3 = json::parse(R"({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
    "description": "free", "properties": {"a": {"type": "string"}}})");
  json v2 = toOpenApiV2Schema(v3);
  EXPECT_EQ(v2, json({{"x-kubernetes-preserve-unknown-fields", true}, {"description", "free"}}));
}

TEST(OpenApiV2Schema, ArrayWithoutItemsAndUnknownTypesLoseTheirType) {
  json v2 = toOpenApiV2Schema(json::parse(R"({"type": "object", "properties": {
    "a": {"type": "array", "x-kubernetes-preserve-unknown-fields": true,
          "items": {"type": "string"}},
    "b": {"type": "array", "items": {"type": "string", "nullable": true}},
    "c": {"type": "null"},
    "d": {"type": "array", "items": [{"type": "string", "nullable": true}]}}})"));
  EXPECT_EQ(v2["properties"]["a"], json({{"x-kubernetes-preserve-unknown-fields", true}}));
  EXPECT_EQ(v2["properties"]["b"], json({{"type", "array"}, {"items", json::object()}}));
  EXPECT_EQ(v2["properties"]["c"], json::object());
  EXPECT_EQ(v2["properties"]["d"]["items"], json::array({json::object()}));
}

TEST(OpenApiV2Schema, IntOrStringKeepsOnlyItsExtension) {
  json v2 = toOpenApiV2Schema(json::parse(
      R"({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]})"));
  EXPECT_EQ(v2, json({{"x-kubernetes-int-or-string", true}}));
}

TEST(OpenApiV2Schema, EmbeddedResourceGetsTypeMetaAndObjectMetaUnlessItKeepsUnknownFields) {
  json schema = json::parse(R"({"type": "object", "properties": {
    "t": {"type": "object", "x-kubernetes-embedded-resource": true, "required": ["spec"],
          "properties": {"spec": {"type": "object"}}},
    "u": {"type": "object", "x-kubernetes-embedded-resource": true,
          "x-kubernetes-preserve-unknown-fields": true},
    "list": {"type": "array", "items": {"type": "object", "x-kubernetes-embedded-resource": true,
             "properties": {}}}}})");
  addEmbeddedResourceProperties(schema);
  const json& t = schema["properties"]["t"];
  EXPECT_EQ(t["properties"]["metadata"]["$ref"], kObjectMetaRef);
  EXPECT_EQ(t["properties"]["apiVersion"]["type"], "string");
  EXPECT_EQ(t["properties"]["kind"]["type"], "string");
  EXPECT_EQ(t["required"], json::array({"spec", "kind", "apiVersion"}));
  EXPECT_FALSE(schema["properties"]["u"].contains("properties"));
  EXPECT_TRUE(schema["properties"]["list"]["items"]["properties"].contains("metadata"));
  EXPECT_FALSE(schema.contains("required"));
}

TEST(OpenApiV2Schema, MetaDefinitionsReferOnlyToEachOther) {
  const json& defs = metaV1Definitions();
  ASSERT_TRUE(defs.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  ASSERT_TRUE(defs.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"));
  ASSERT_TRUE(defs.contains("io.k8s.apimachinery.pkg.apis.meta.v1.Status"));
  std::string text = defs.dump();
  size_t at = 0;
  int refs = 0;
  const std::string marker = "\"$ref\":\"#/definitions/";
  while ((at = text.find(marker, at)) != std::string::npos) {
    at += marker.size();
    std::string name = text.substr(at, text.find('"', at) - at);
    EXPECT_TRUE(defs.contains(name)) << name;
    ++refs;
  }
  EXPECT_GT(refs, 5);
}

}  // namespace
}  // namespace univirt::kubelite
