#include "kube-lite/jsonpath.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

TEST(JsonPath, EvaluatesMembersIndexesAndQuotedKeys) {
  json object = {{"spec", {{"domain", {{"uuid", {{"text", "u-1"}}}}}, {"disks", {"a", "b"}}}},
                 {"metadata", {{"labels", {{"x.y/z", "v"}}}}}};
  auto path = [](const char* text) { return *JsonPath::parse(text); };
  EXPECT_EQ(path(".spec.domain.uuid.text").evaluate(object), json("u-1"));
  EXPECT_EQ(path("{.spec.disks[1]}").evaluate(object), json("b"));
  EXPECT_EQ(path(".metadata.labels['x.y/z']").evaluate(object), json("v"));
  EXPECT_FALSE(path(".spec.missing.deep").evaluate(object).has_value());
  EXPECT_FALSE(path(".spec.disks[5]").evaluate(object).has_value());
}

TEST(JsonPath, RejectsUnsupportedExpressions) {
  EXPECT_FALSE(JsonPath::parse("spec.x").has_value());
  EXPECT_FALSE(JsonPath::parse(".spec[?(@.x)]").has_value());
  EXPECT_FALSE(JsonPath::parse(".spec[").has_value());
}

}  // namespace
}  // namespace univirt::kubelite
