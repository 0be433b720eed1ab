#include "core/kube/object.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/patch.h"

namespace univirt::kube {
namespace {

const Object kVm = nlohmann::json::parse(R"({
  "apiVersion": "doslab.io/v1", "kind": "VirtualMachine",
  "metadata": {"name": "vm1", "namespace": "default", "uid": "u-1", "resourceVersion": "41",
               "labels": {"host": "node1", "n": 3}, "annotations": {"a": "b"}},
  "spec": {"powerstate": "Running"}})");

TEST(Object, ReadsMetadata) {
  EXPECT_EQ(nameOf(kVm), "vm1");
  EXPECT_EQ(namespaceOf(kVm), "default");
  EXPECT_EQ(uidOf(kVm), "u-1");
  EXPECT_EQ(resourceVersionOf(kVm), "41");
  EXPECT_EQ(kindOf(kVm), "VirtualMachine");
  EXPECT_EQ(apiVersionOf(kVm), "doslab.io/v1");
  EXPECT_EQ(labelOf(kVm, "host"), "node1");
  EXPECT_EQ(labelOf(kVm, "missing"), "");
  EXPECT_EQ(annotationOf(kVm, "a"), "b");
  EXPECT_EQ(labelsOf(kVm), (std::map<std::string, std::string>{{"host", "node1"}}));
  EXPECT_FALSE(isBeingDeleted(kVm));
}

TEST(Object, ToleratesMissingAndMistypedFields) {
  Object odd = nlohmann::json::parse(R"({"metadata": {"name": 5, "labels": []}})");
  EXPECT_EQ(nameOf(odd), "");
  EXPECT_TRUE(labelsOf(odd).empty());
  EXPECT_EQ(nameOf(nlohmann::json::array()), "");
  EXPECT_EQ(namespaceOf(nullptr), "");
}

TEST(ObjectKey, RoundTripsThroughString) {
  EXPECT_EQ(ObjectKey::of(kVm).toString(), "default/vm1");
  EXPECT_EQ(ObjectKey::parse("default/vm1"), (ObjectKey{"default", "vm1"}));
  EXPECT_EQ(ObjectKey::parse("node1"), (ObjectKey{"", "node1"}));
  EXPECT_EQ(ObjectKey::parse("node1").toString(), "node1");
  EXPECT_LT((ObjectKey{"a", "z"}), (ObjectKey{"b", "a"}));
}

TEST(Object, ParseObjectReportsInvalidJson) {
  auto parsed = parseObject("{not json", "the response to 'GET /x'");
  ASSERT_FALSE(parsed);
  EXPECT_THAT(parsed.error().message, ::testing::HasSubstr("the response to 'GET /x'"));
  EXPECT_TRUE(parseObject(R"({"a":1})", "x"));
}

TEST(Object, FormatsTimestampsLikeTheApiServer) {
  auto time = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + std::chrono::hours(2) +
              std::chrono::minutes(59) + std::chrono::seconds(14) +
              std::chrono::microseconds(123456);
  auto wall = std::chrono::time_point_cast<util::Clock::WallTime::duration>(time);
  EXPECT_EQ(formatTimestamp(wall), "2026-11-27T02:59:14Z");
  EXPECT_EQ(formatMicroTimestamp(wall), "2026-11-27T02:59:14.123456Z");
}

TEST(CreateMergePatch, ProducesPatchThatReproducesTheTarget) {
  nlohmann::json original = kVm;
  nlohmann::json modified = kVm;
  modified["spec"]["powerstate"] = "Shutdown";
  modified["metadata"]["annotations"].erase("a");
  modified["status"] = {{"phase", "Stopped"}};
  nlohmann::json patch = createMergePatch(original, modified);
  EXPECT_EQ(patch["spec"], (nlohmann::json{{"powerstate", "Shutdown"}}));
  EXPECT_TRUE(patch["metadata"]["annotations"]["a"].is_null());
  EXPECT_FALSE(patch["metadata"].contains("name"));
  nlohmann::json applied = original;
  applied.merge_patch(patch);
  EXPECT_EQ(applied, modified);
  EXPECT_EQ(createMergePatch(kVm, kVm), nlohmann::json::object());
}

}  // namespace
}  // namespace univirt::kube
