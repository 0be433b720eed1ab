#include "kube-lite/table.h"

#include <gtest/gtest.h>

#include "kube-lite/resource_registry.h"

namespace univirt::kubelite {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(HumanDuration, MatchesKubernetesFormatting) {
  EXPECT_EQ(humanDuration(seconds(-5)), "<invalid>");
  EXPECT_EQ(humanDuration(seconds(-1)), "0s");
  EXPECT_EQ(humanDuration(seconds(59)), "59s");
  EXPECT_EQ(humanDuration(seconds(119)), "119s");
  EXPECT_EQ(humanDuration(minutes(5) + seconds(12)), "5m12s");
  EXPECT_EQ(humanDuration(minutes(5)), "5m");
  EXPECT_EQ(humanDuration(minutes(150)), "150m");
  EXPECT_EQ(humanDuration(hours(3) + minutes(20)), "3h20m");
  EXPECT_EQ(humanDuration(hours(30)), "30h");
  EXPECT_EQ(humanDuration(hours(24 * 3 + 5)), "3d5h");
  EXPECT_EQ(humanDuration(hours(24 * 12)), "12d");
  EXPECT_EQ(humanDuration(hours(24 * (365 * 3 + 10))), "3y10d");
  EXPECT_EQ(humanDuration(hours(24 * 365 * 9)), "9y");
}

TEST(Timestamps, RoundTripRfc3339Seconds) {
  std::chrono::system_clock::time_point when;
  ASSERT_TRUE(parseTimestamp("2026-11-27T02:59:14Z", when));
  EXPECT_EQ(formatTimestamp(when), "2026-11-27T02:59:14Z");
  EXPECT_FALSE(parseTimestamp("yesterday", when));
}

TEST(Table, RendersCellsByColumnType) {
  ResourceType type;
  type.kind = "Thing";
  PrinterColumn count;
  count.name = "COUNT";
  count.type = "integer";
  count.json_path = ".spec.count";
  count.path = *JsonPath::parse(count.json_path);
  PrinterColumn missing;
  missing.name = "MISSING";
  missing.type = "string";
  missing.json_path = ".spec.none";
  missing.path = *JsonPath::parse(missing.json_path);
  type.columns = {count, missing, ageColumn()};
  nlohmann::json object = {
      {"metadata", {{"name", "t1"}, {"creationTimestamp", "2026-11-27T02:59:14Z"}}},
      {"spec", {{"count", 3}}}};
  std::chrono::system_clock::time_point created;
  ASSERT_TRUE(parseTimestamp("2026-11-27T02:59:14Z", created));
  auto table = buildTable(type, {object}, IncludeObject::Metadata, true, created + seconds(312));
  EXPECT_EQ(table["rows"][0]["cells"], nlohmann::json({"t1", 3, nullptr, "5m12s"}));
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["columnDefinitions"].size(), 4u);
}

}  // namespace
}  // namespace univirt::kubelite
