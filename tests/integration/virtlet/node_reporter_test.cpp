// The host reporter (crd-contract.md §5.1) against kube-lite and libvirt's test driver, on a
// FakeClock: what it writes on the Node, and how often.

#include "virtlet/node_reporter.h"

#include <atomic>

#include <fmt/format.h>
#include <unistd.h>

#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

using namespace std::chrono_literals;
using testing::waitFor;

constexpr const char* kUri = "test:///default";

class NodeReporterTest : public testing::VirtletTest {
 protected:
  void SetUp() override {
    VirtletTest::SetUp();
    node_ = ns_ + "-node";
    auto created = client_->create(
        kNodes, {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", node_}, {"labels", {{"nodeHA", "true"}, {"zone", "a"}}}}},
                 {"status",
                  {{"capacity", {{"cpu", "16"}}},
                   {"conditions",
                    {{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}}}}}});
    ASSERT_TRUE(created.has_value()) << created.error().message;
    // What the kubelet reports; create ignores .status of a kind with a status subresource.
    (*created)["status"] = {
        {"capacity", {{"cpu", "16"}}},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}}}};
    auto kubelet = client_->updateStatus(kNodes, *created);
    ASSERT_TRUE(kubelet.has_value()) << kubelet.error().message;
    auto connection = virt::Connection::open(kUri);
    ASSERT_TRUE(connection.has_value());
    connection_ = std::make_shared<virt::Connection>(std::move(*connection));
    reporter_ = std::make_unique<NodeReporter>(
        *daemon_client_,
        [this]() -> util::Result<std::shared_ptr<virt::Connection>> {
          if (libvirt_down_.load()) {
            return util::Error{util::ErrorCode::Unavailable, "libvirt connection lost"};
          }
          return connection_;
        },
        NodeReporterOptions{.node_name = node_,
                            .vm_capacity = 7,
                            .heartbeat = 60s,
                            .debounce = 5s,
                            .sample = 2s,
                            .memory_step_mib = 256},
        clock_);
  }
  void TearDown() override {
    if (reporter_) {
      reporter_->stop();
    }
    VirtletTest::TearDown();
  }
  nlohmann::json node() const { return get(kNodes, node_); }
  // Moves time on by `step` once the reporter sleeps, and waits for the sample it causes.
  void step(std::chrono::milliseconds step) {
    ASSERT_TRUE(clock_.waitForSleepers(1, 10s));
    const std::size_t before = reporter_->samples();
    clock_.advance(step);
    ASSERT_TRUE(waitFor([&] { return reporter_->samples() > before; }));
    ASSERT_TRUE(clock_.waitForSleepers(1, 10s));
  }

  util::FakeClock clock_;
  std::string node_;
  std::shared_ptr<virt::Connection> connection_;
  std::atomic<bool> libvirt_down_{false};
  std::unique_ptr<NodeReporter> reporter_;
};

TEST_F(NodeReporterTest, RemovesTheNodeHaLabelAndKeepsTheOthers) {
  ASSERT_TRUE(reporter_->removeHaLabel().has_value());
  const auto labels = node()["metadata"]["labels"];
  EXPECT_FALSE(labels.contains("nodeHA"));
  EXPECT_EQ(labels.value("zone", ""), "a");
  // Nothing to remove is fine too.
  EXPECT_TRUE(reporter_->removeHaLabel().has_value());
}

TEST_F(NodeReporterTest, ReportsCapacityAllocatableAndConditionsBesideTheKubelets) {
  reporter_->start();
  ASSERT_TRUE(waitFor([&] { return reporter_->writes() == 1; }));
  auto status = node()["status"];
  ASSERT_TRUE(status.contains("capacity")) << status.dump();
  // test:///default: 16 CPUs, 3 GiB, one running 2-vCPU domain "test".
  EXPECT_EQ(status["capacity"]["doslab.io/cpu"], "16");
  EXPECT_EQ(status["capacity"]["doslab.io/memory"], "3072");
  EXPECT_EQ(status["capacity"]["doslab.io/vms"], "7");
  EXPECT_EQ(status["capacity"]["cpu"], "16");
  EXPECT_EQ(status["allocatable"]["doslab.io/vms"], "6");
  EXPECT_EQ(status["allocatable"]["doslab.io/cpu"], "14");
  ASSERT_EQ(status["conditions"].size(), 3U) << status.dump();
  EXPECT_EQ(status["conditions"][0]["reason"], "KubeletReady");
  EXPECT_EQ(status["conditions"][1]["type"], "VirtletReady");
  EXPECT_EQ(status["conditions"][1]["status"], "True");
  EXPECT_EQ(status["conditions"][2]["type"], "VirtletMemoryPressure");
}

TEST_F(NodeReporterTest, WritesNothingBetweenHeartbeatsWhenNothingChanges) {
  reporter_->start();
  ASSERT_TRUE(waitFor([&] { return reporter_->writes() == 1; }));
  for (int i = 0; i < 29; ++i) {  // 58 s of samples every 2 s
    step(2s);
  }
  EXPECT_EQ(reporter_->writes(), 1U);
  EXPECT_GE(reporter_->samples(), 30U);
  step(2s);  // 60 s: the heartbeat
  EXPECT_EQ(reporter_->writes(), 2U);
}

TEST_F(NodeReporterTest, WritesAChangeOnceTheDebounceIntervalHasPassed) {
  reporter_->start();
  ASSERT_TRUE(waitFor([&] { return reporter_->writes() == 1; }));
  auto domain = connection_->lookupDomain("test");
  ASSERT_TRUE(domain.has_value());
  ASSERT_TRUE(domain->destroy().has_value());
  step(2s);
  step(2s);
  EXPECT_EQ(reporter_->writes(), 1U);  // 4 s after the first write: still debounced
  step(1s);
  EXPECT_EQ(reporter_->writes(), 2U);
  EXPECT_EQ(node()["status"]["allocatable"]["doslab.io/vms"], "7");
  EXPECT_EQ(node()["status"]["allocatable"]["doslab.io/cpu"], "16");
}

TEST_F(NodeReporterTest, LibvirtLivenessIsLocalAndAFailureIsReported) {
  reporter_->start();
  ASSERT_TRUE(waitFor([&] { return reporter_->writes() == 1; }));
  libvirt_down_ = true;
  reporter_->poke();
  ASSERT_TRUE(waitFor([&] { return reporter_->samples() >= 2; }));
  EXPECT_EQ(reporter_->writes(), 1U);
  step(5s);
  ASSERT_TRUE(waitFor([&] { return reporter_->writes() == 2; }));
  auto status = node()["status"];
  ASSERT_TRUE(status.contains("conditions")) << status.dump();
  EXPECT_EQ(status["conditions"][1]["status"], "False");
  EXPECT_EQ(status["conditions"][1]["reason"], "LibvirtUnavailable");
  EXPECT_EQ(status["capacity"]["doslab.io/cpu"], "16");  // last known capacity kept
}

}  // namespace
}  // namespace univirt::virtlet
