#include "kube-lite/schema.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

const json kSchema = {
    {"type", "object"},
    {"properties",
     {{"spec",
       {{"type", "object"},
        {"required", {"cpu"}},
        {"properties",
         {{"cpu", {{"type", "integer"}, {"minimum", 1}}},
          {"mode", {{"type", "string"}, {"enum", {"a", "b"}}}},
          {"size", {{"type", "string"}, {"default", "small"}}},
          {"free", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}};

TEST(Schema, PrunesUndeclaredFieldsButKeepsPreservedOnes) {
  json object = {{"apiVersion", "x/v1"},
                 {"kind", "X"},
                 {"metadata", {{"name", "a"}, {"bogus", 1}}},
                 {"spec", {{"cpu", 1}, {"extra", 2}, {"free", {{"any", {{"thing", 1}}}}}}},
                 {"top", 1}};
  auto pruned = pruneObject(object, kSchema);
  EXPECT_EQ(pruned, (std::vector<std::string>{"metadata.bogus", "spec.extra", "top"}));
  EXPECT_EQ(object["spec"]["free"]["any"]["thing"], 1);
  EXPECT_EQ(object["metadata"]["name"], "a");
}

TEST(Schema, AppliesDefaultsInsideExistingObjectsOnly) {
  json object = {{"spec", {{"cpu", 1}}}};
  applyDefaults(object, kSchema);
  EXPECT_EQ(object["spec"]["size"], "small");
  json empty = json::object();
  applyDefaults(empty, kSchema);
  EXPECT_FALSE(empty.contains("spec"));
}

TEST(Schema, ValidationCausesNameTheField) {
  json object = {{"spec", {{"cpu", "x"}, {"mode", "c"}}}};
  auto causes = validateObject(object, kSchema);
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].field, "spec.cpu");
  EXPECT_EQ(causes[0].message,
            "Invalid value: \"string\": spec.cpu in body must be of type integer: \"string\"");
  EXPECT_EQ(causes[1].field, "spec.mode");
  EXPECT_EQ(causes[1].reason, "FieldValueNotSupported");
  auto required = validateObject(json{{"spec", json::object()}}, kSchema);
  ASSERT_EQ(required.size(), 1u);
  EXPECT_EQ(required[0].field, "spec.cpu");
  EXPECT_EQ(required[0].reason, "FieldValueRequired");
  EXPECT_EQ(validateObject(json{{"spec", {{"cpu", 0}}}}, kSchema).size(), 1u);
}

TEST(Schema, StructuralCheckRejectsMissingTypesAndRefs) {
  EXPECT_TRUE(checkStructural(kSchema, "schema").empty());
  json bad = {
      {"type", "object"},
      {"properties", {{"a", json::object()}, {"b", {{"$ref", "#/x"}, {"type", "object"}}}}}};
  auto causes = checkStructural(bad, "schema");
  EXPECT_EQ(causes.size(), 2u);
}

}  // namespace
}  // namespace univirt::kubelite
