#include "virtmonitor/metrics_reference.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/util/exec.h"
#include "unit/virtmonitor/virtmonitor_test_util.h"

namespace univirt::virtmonitor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string readDoc(const std::string& relative) {
  std::ifstream in(std::filesystem::path(UNIVIRT_SOURCE_DIR) / "docs" / relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string committedReference() {
  std::ifstream in(std::filesystem::path(UNIVIRT_SOURCE_DIR) / "docs" / "metrics.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(VirtmonitorMetricsReference, MatchesCommittedFile) {
  EXPECT_EQ(committedReference(), renderMetricsReference())
      << "docs/metrics.md is out of date: run `univirt-virtmonitor-metrics-doc > docs/metrics.md` "
         "(built in daemons/virtmonitor) and commit the result";
}

TEST(VirtmonitorMetricsReference, EveryFamilyHasSamplesInTheReference) {
  for (Family family : {Family::Univirt, Family::Upstream, Family::Kubevirt}) {
    for (const FamilyDescription& described : describeText(referenceText(family))) {
      EXPECT_GT(described.samples, 0U) << described.name;
      EXPECT_FALSE(described.help.empty()) << described.name;
    }
  }
}

TEST(VirtmonitorMonitoringDocs, DashboardAndAlertsUseOnlyEmittedUnivirtSeries) {
  std::set<std::string> emitted;
  for (const std::string& text : {referenceText(Family::Univirt), referenceHealthText()}) {
    for (const FamilyDescription& family : describeText(text)) {
      emitted.insert(family.name);
    }
  }
  for (const std::string file :
       {"monitoring/virtmonitor-dashboard.json", "monitoring/virtmonitor-alerts.yml"}) {
    const std::string text = readDoc(file);
    ASSERT_FALSE(text.empty()) << file;
    const std::regex name(R"(univirt_[a-z_]+)");
    int used = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
         it != std::sregex_iterator(); ++it) {
      ++used;
      EXPECT_TRUE(emitted.contains(it->str()))
          << file << " uses " << it->str() << ", which virtmonitor does not emit";
    }
    EXPECT_GT(used, 5) << file;
  }
}

TEST(DescribeText, ReadsNamesTypesAndLabelNames) {
  const auto families = describeText(
      "# HELP a_total x y\n# TYPE a_total counter\na_total{p=\"q\\\"}\",r=\"\"} 1\n"
      "a_total{s=\"t\"} 2\n# HELP b z\n# TYPE b gauge\nb 3\n");
  ASSERT_EQ(families.size(), 2U);
  EXPECT_EQ(families[0].name, "a_total");
  EXPECT_EQ(families[0].type, "counter");
  EXPECT_EQ(families[0].help, "x y");
  EXPECT_THAT(families[0].labels, ElementsAre("p", "r", "s"));
  EXPECT_EQ(families[0].samples, 2U);
  EXPECT_THAT(families[1].labels, IsEmpty());
}

class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::promtoolInstalled()) {
      GTEST_SKIP() << "promtool is missing: apt-get install prometheus";
    }
  }
};

TEST_F(Promtool, FindsNothingInTheUnivirtKubevirtAndHealthSeries) {
  for (const std::string& text :
       {referenceText(Family::Univirt), referenceText(Family::Kubevirt), referenceHealthText()}) {
    const auto checked = testing::promtoolCheckMetrics(text);
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_EQ(checked.output, "");
  }
}

TEST_F(Promtool, FindsOnlyTheContractsKilobyteNamesInTheUpstreamFamily) {
  // storage_pool_{total,used}_size_kilobytes are upstream's names (crd-contract.md §7); the
  // rest of the family is clean.
  const auto checked = testing::promtoolCheckMetrics(referenceText(Family::Upstream));
  EXPECT_EQ(checked.output,
            "storage_pool_total_size_kilobytes use base unit \"bytes\" instead of \"kilobytes\"\n"
            "storage_pool_used_size_kilobytes use base unit \"bytes\" instead of \"kilobytes\"\n");
}

TEST_F(Promtool, AcceptsTheExampleAlertRules) {
  auto checked = util::runProgram(
      {"promtool", "check", "rules",
       (std::filesystem::path(UNIVIRT_SOURCE_DIR) / "docs/monitoring/virtmonitor-alerts.yml")
           .string()});
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
  EXPECT_TRUE(checked->succeeded()) << checked->out << checked->err;
  EXPECT_THAT(checked->out, HasSubstr("SUCCESS"));
}

TEST_F(Promtool, NoticesABrokenText) {
  // The check itself can fail: a counter without _total is reported.
  const auto checked = testing::promtoolCheckMetrics("# HELP c x\n# TYPE c counter\nc 1\n");
  EXPECT_NE(checked.exit_code, 0);
  EXPECT_THAT(checked.output, HasSubstr("_total"));
}

}  // namespace
}  // namespace univirt::virtmonitor
