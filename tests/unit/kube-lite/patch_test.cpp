#include "kube-lite/patch.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

TEST(MergePatch, NullDeletesAndArraysAreReplaced) {
  json target = {{"a", 1}, {"b", {{"c", 2}, {"d", 3}}}, {"l", {1, 2}}};
  auto out = applyMergePatch(target, {{"b", {{"c", nullptr}}}, {"l", {3}}});
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.result, json({{"a", 1}, {"b", {{"d", 3}}}, {"l", {3}}}));
  EXPECT_FALSE(applyMergePatch(target, json::array()).ok);
}

TEST(JsonPatch, AppliesOpsAndReportsFailures) {
  json target = {{"spec", {{"cpu", 1}}}};
  auto ok =
      applyJsonPatch(target, json::array({{{"op", "add"}, {"path", "/spec/mem"}, {"value", 2}},
                                          {{"op", "test"}, {"path", "/spec/cpu"}, {"value", 1}}}));
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.result["spec"]["mem"], 2);
  auto failed_test =
      applyJsonPatch(target, json::array({{{"op", "test"}, {"path", "/spec/cpu"}, {"value", 9}}}));
  EXPECT_FALSE(failed_test.ok);
  EXPECT_EQ(failed_test.code, 422);
  auto missing = applyJsonPatch(target, json::array({{{"op", "remove"}, {"path", "/nope"}}}));
  EXPECT_EQ(missing.code, 422);
  EXPECT_EQ(applyJsonPatch(target, json::object()).code, 400);
}

TEST(StrategicMergePatch, MergesKeyedListsAndDirectives) {
  json pod = {
      {"metadata", {{"finalizers", {"a"}}}},
      {"spec",
       {{"containers", {{{"name", "a"}, {"image", "a:1"}}, {{"name", "b"}, {"image", "b:1"}}}},
        {"args", {"x"}}}}};
  json patch = {
      {"metadata", {{"finalizers", {"b"}}}},
      {"spec",
       {{"containers", {{{"name", "b"}, {"image", "b:2"}}, {{"name", "a"}, {"$patch", "delete"}}}},
        {"$setElementOrder/containers", {{{"name", "b"}}}},
        {"args", {"y"}}}}};
  auto out = applyStrategicMergePatch(pod, patch);
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.result["metadata"]["finalizers"], json({"a", "b"}));
  EXPECT_EQ(out.result["spec"]["containers"], json({{{"name", "b"}, {"image", "b:2"}}}));
  EXPECT_EQ(out.result["spec"]["args"], json({"y"}));
  EXPECT_FALSE(out.result["spec"].contains("$setElementOrder/containers"));
}

}  // namespace
}  // namespace univirt::kubelite
