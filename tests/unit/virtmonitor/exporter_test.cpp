#include "virtmonitor/exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/util/clock.h"
#include "unit/virtmonitor/virtmonitor_test_util.h"
#include "virtmonitor/metrics_reference.h"
#include "virtmonitor/metrics_server.h"

namespace univirt::virtmonitor {
namespace {

using ::testing::HasSubstr;

ConnectionSource testDriver() {
  return []() -> util::Result<std::shared_ptr<virt::Connection>> {
    auto opened = virt::Connection::open("test:///default", virt::OpenMode::ReadOnly);
    if (!opened.has_value()) {
      return std::move(opened).error();
    }
    return std::make_shared<virt::Connection>(std::move(*opened));
  };
}

ConnectionSource unavailable() {
  return []() -> util::Result<std::shared_ptr<virt::Connection>> {
    return util::Error{util::ErrorCode::Unavailable, "libvirtd is not running"};
  };
}

ExporterOptions options(std::vector<Family> families = {Family::Univirt}) {
  return ExporterOptions{.node = "node1",
                         .zone = "z",
                         .families = std::move(families),
                         .interval = std::chrono::seconds(10)};
}

TEST(Exporter, ServesTheTestDomainThroughTheReadOnlyConnection) {
  util::FakeClock clock;
  Exporter exporter(
      options(), testDriver(),
      [] {
        return Owners{{"test", VmOwner{.namespace_name = "ns1", .name = "test", .labels = {}}}};
      },
      clock);
  EXPECT_THAT(exporter.body(), HasSubstr("univirt_virtmonitor_up 0\n"));
  ASSERT_TRUE(exporter.refresh().has_value());
  const std::string body = exporter.body();
  EXPECT_THAT(
      body,
      HasSubstr("univirt_domain_info_vstate{domain=\"test\",uuid=\"6695eb01-f6a4-"
                "8304-79aa-97f2502e193f\",node=\"node1\",namespace=\"ns1\",name=\"test\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("univirt_virtmonitor_up 1\n"));
  EXPECT_THAT(body, HasSubstr("univirt_virtmonitor_refreshes_total 1\n"));
  EXPECT_EQ(exporter.lastCost().domains, 1U);
}

TEST(Exporter, EverythingItEmitsIsInTheReference) {
  util::FakeClock clock;
  Exporter exporter(options({Family::Univirt, Family::Upstream, Family::Kubevirt}), testDriver(),
                    {}, clock);
  ASSERT_TRUE(exporter.refresh().has_value());
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(exporter.refresh().has_value());
  std::vector<FamilyDescription> reference = describeText(referenceHealthText());
  for (Family family : {Family::Univirt, Family::Upstream, Family::Kubevirt}) {
    auto described = describeText(referenceText(family));
    reference.insert(reference.end(), described.begin(), described.end());
  }
  for (const FamilyDescription& live : describeText(exporter.body())) {
    auto it = std::find_if(reference.begin(), reference.end(),
                           [&](const FamilyDescription& ref) { return ref.name == live.name; });
    ASSERT_NE(it, reference.end()) << live.name << " is not in docs/metrics.md";
    EXPECT_EQ(live.type, it->type) << live.name;
    if (live.samples > 0) {
      EXPECT_EQ(live.labels, it->labels) << live.name;
    }
  }
}

TEST(Exporter, CountsFailedRefreshesAndKeepsServing) {
  util::FakeClock clock;
  Exporter exporter(options(), unavailable(), {}, clock);
  auto failed = exporter.refresh();
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error().message, HasSubstr("libvirtd is not running"));
  const std::string body = exporter.body();
  EXPECT_THAT(body, HasSubstr("univirt_virtmonitor_up 0\n"));
  EXPECT_THAT(body, HasSubstr("univirt_virtmonitor_scrape_errors_total 1\n"));
  EXPECT_FALSE(exporter.hasRefreshed());
}

TEST(Exporter, UpTurnsZeroWhenRefreshesStopSucceeding) {
  util::FakeClock clock;
  Exporter exporter(options(), testDriver(), {}, clock);
  ASSERT_TRUE(exporter.refresh().has_value());
  clock.advance(std::chrono::seconds(30));
  EXPECT_THAT(exporter.healthText(), HasSubstr("univirt_virtmonitor_up 1\n"));
  clock.advance(std::chrono::seconds(1));
  EXPECT_THAT(exporter.healthText(), HasSubstr("univirt_virtmonitor_up 0\n"));
  // The cached families are still served: scrapes never wait for libvirt.
  EXPECT_THAT(exporter.body(), HasSubstr("univirt_domain_info_vstate{domain=\"test\""));
}

TEST(Exporter, TimerRefreshesEveryInterval) {
  util::FakeClock clock;
  Exporter exporter(options(), testDriver(), {}, clock);
  ASSERT_TRUE(exporter.start().has_value());
  ASSERT_TRUE(clock.waitForSleepers(1, std::chrono::seconds(10)));
  EXPECT_EQ(exporter.refreshes(), 1U);
  clock.advance(std::chrono::seconds(10));
  // The second refresh has happened once the thread sleeps again with the clock moved.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (exporter.refreshes() < 2 && std::chrono::steady_clock::now() < deadline) {
    clock.waitForSleepers(1, std::chrono::milliseconds(100));
  }
  EXPECT_EQ(exporter.refreshes(), 2U);
  exporter.stop();
}

TEST(MetricsServer, ServesTheCachedBodyOnTheConfiguredPathsOnly) {
  util::FakeClock clock;
  Exporter exporter(options(), testDriver(), {}, clock);
  ASSERT_TRUE(exporter.refresh().has_value());
  auto server =
      MetricsServer::start({.address = "127.0.0.1:0", .paths = {"/", "/metrics"}}, exporter);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const std::uint16_t port = (*server)->port();
  for (const std::string path : {"/", "/metrics"}) {
    auto reply = testing::httpGet(port, path);
    EXPECT_EQ(reply.status, 200) << path;
    EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(reply.body, exporter.body());
  }
  auto missing = testing::httpGet(port, "/other");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("/, /metrics"));
  EXPECT_EQ(testing::httpGet(port, "/metrics", "POST").status, 405);
}

TEST(MetricsServer, RefusesAnAddressInUse) {
  util::FakeClock clock;
  Exporter exporter(options(), testDriver(), {}, clock);
  auto first = MetricsServer::start({.address = "127.0.0.1:0", .paths = {"/"}}, exporter);
  ASSERT_TRUE(first.has_value());
  auto second = MetricsServer::start(
      {.address = "127.0.0.1:" + std::to_string((*first)->port()), .paths = {"/"}}, exporter);
  ASSERT_FALSE(second.has_value());
  EXPECT_THAT(second.error().message, HasSubstr("cannot serve metrics on '127.0.0.1:"));
}

TEST(ParsePaths, RequiresAbsolutePaths) {
  auto paths = parsePaths("/,/metrics");
  ASSERT_TRUE(paths.has_value());
  EXPECT_EQ(*paths, (std::vector<std::string>{"/", "/metrics"}));
  EXPECT_FALSE(parsePaths("metrics").has_value());
  EXPECT_FALSE(parsePaths(",").has_value());
}

}  // namespace
}  // namespace univirt::virtmonitor
