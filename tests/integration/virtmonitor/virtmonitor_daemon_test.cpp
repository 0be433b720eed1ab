// The univirt-virtmonitor binary as it runs on a node, against libvirt's test driver (its
// built-in domain `test`): served on 127.0.0.1, labelled from a real kube-lite's
// VirtualMachines, clean under promtool, and scraped by a real Prometheus server whose query API
// then returns the domain's series.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <Poco/URI.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"
#include "unit/virtmonitor/virtmonitor_test_util.h"

namespace univirt::virtmonitor {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kNode = "vmon-node";

// A port nobody listens on right now (the kernel's pick for port 0).
std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return bound ? ntohs(addr.sin_port) : 0;
}

// Polls `condition` every 50 ms until it holds or `timeout` passes (the processes under test
// give no other signal of readiness than answering).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

std::optional<testing::HttpReply> tryGet(std::uint16_t port, const std::string& path) {
  try {
    return testing::httpGet(port, path);
  } catch (const std::exception&) {
    return std::nullopt;  // not listening yet
  }
}

class VirtmonitorDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "univirt-vmon.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    daemon_.stop(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts the daemon and waits until its first refresh is served.
  void startDaemon(std::vector<std::string> extra) {
    port_ = freePort();
    ASSERT_NE(port_, 0);
    std::vector<std::string> argv = {
        std::string(UNIVIRT_BINARY_DIR) + "/daemons/virtmonitor/univirt-virtmonitor",
        "--config=",
        "--lock-file=",
        "--libvirt-uri=test:///default",
        "--health-address=127.0.0.1:0",
        fmt::format("--metrics-address=127.0.0.1:{}", port_),
        "--refresh-interval=1s",
        fmt::format("--node-name={}", kNode)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_TRUE(daemon_.start(argv, {}, dir_ + "/out.log", dir_ + "/err.log"));
    ASSERT_TRUE(eventually(
        [&] {
          auto reply = tryGet(port_, "/metrics");
          return reply && reply->body.find("univirt_virtmonitor_up 1\n") != std::string::npos;
        },
        30s))
        << univirt::testing::readWholeFile(dir_ + "/err.log");
  }
  std::string scrape(const std::string& path = "/") {
    auto reply = tryGet(port_, path);
    return reply ? reply->body : "";
  }

  std::string dir_;
  std::uint16_t port_ = 0;
  univirt::testing::BackgroundProcess daemon_;
};

TEST_F(VirtmonitorDaemon, ServesTheTestDomainOnBothPathsAndPromtoolFindsNothing) {
  ASSERT_NO_FATAL_FAILURE(startDaemon({"--metric-families=univirt,kubevirt"}));
  const std::string body = scrape("/");
  EXPECT_THAT(body, HasSubstr(fmt::format(
                        "univirt_domain_info_vstate{{domain=\"test\",uuid=\"6695eb01-f6a4-8304-"
                        "79aa-97f2502e193f\",node=\"{}\",namespace=\"\",name=\"\"}} 1\n",
                        kNode)));
  EXPECT_THAT(scrape("/metrics"),
              HasSubstr("univirt_node_domains{node=\"vmon-node\",state=\"running\"} 1\n"));
  EXPECT_EQ(tryGet(port_, "/nope")->status, 404);
  if (!testing::promtoolInstalled()) {
    GTEST_SKIP() << "promtool is missing: apt-get install prometheus";
  }
  const auto checked = testing::promtoolCheckMetrics(body);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_EQ(checked.output, "");
}

TEST_F(VirtmonitorDaemon, LabelsADomainWithTheVirtualMachineThatOwnsIt) {
  univirt::testing::KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  ASSERT_EQ(server
                .kubectl({"apply", "-f",
                          std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachine.yaml"})
                .exit_code,
            0);
  ASSERT_EQ(server
                .kubectl({"wait", "--for=condition=Established", "--timeout=30s",
                          "crd/virtualmachines.doslab.io"})
                .exit_code,
            0);
  ASSERT_EQ(server.kubectl({"create", "namespace", "tenant-a"}).exit_code, 0);
  const nlohmann::json vm = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata",
       {{"name", "test"},
        {"namespace", "tenant-a"},
        {"labels", {{"host", kNode}, {"owner", "alice"}, {"cluster", "c7"}}}}},
      {"spec", {{"nodeName", kNode}}}};
  auto applied = server.kubectl({"apply", "-f", "-"}, {}, vm.dump());
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  // Without --zone, the upstream zone label comes from the Node object, as upstream.
  const nlohmann::json node = {{"apiVersion", "v1"},
                               {"kind", "Node"},
                               {"metadata", {{"name", kNode}, {"labels", {{"zone", "z1"}}}}}};
  applied = server.kubectl({"apply", "-f", "-"}, {}, node.dump());
  ASSERT_EQ(applied.exit_code, 0) << applied.err;

  ASSERT_NO_FATAL_FAILURE(
      startDaemon({"--kubeconfig=" + server.kubeconfig(), "--metric-families=univirt,upstream"}));
  // The informer may sync after the first refresh; a later refresh carries the labels.
  EXPECT_TRUE(eventually(
      [&] { return scrape().find("namespace=\"tenant-a\",name=\"test\"") != std::string::npos; },
      30s))
      << scrape();
  EXPECT_THAT(scrape(),
              HasSubstr(fmt::format("vm_cpu_idle_rate{{zone=\"z1\",host=\"{}\",vm=\"test\","
                                    "owner=\"alice\",router=\"\",autoscalinggroup=\"\","
                                    "cluster=\"c7\"}}",
                                    kNode)));
}

TEST_F(VirtmonitorDaemon, APrometheusServerScrapesItAndAnswersAQueryForTheDomain) {
  if (!std::filesystem::exists("/usr/bin/prometheus")) {
    GTEST_SKIP() << "prometheus is missing: apt-get install prometheus";
  }
  ASSERT_NO_FATAL_FAILURE(startDaemon({}));
  const std::uint16_t prom_port = freePort();
  ASSERT_NE(prom_port, 0);
  {
    std::ofstream config(dir_ + "/prometheus.yml");
    config << fmt::format(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: vms\n    metrics_path: /\n"
        "    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
        port_);
  }
  univirt::testing::BackgroundProcess prometheus;
  ASSERT_TRUE(prometheus.start({"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                "--storage.tsdb.path=" + dir_ + "/tsdb",
                                fmt::format("--web.listen-address=127.0.0.1:{}", prom_port)},
                               {}, dir_ + "/prom.out", dir_ + "/prom.err"));
  const std::string query = "/api/v1/query?query=" + [] {
    std::string encoded;
    Poco::URI::encode("univirt_domain_info_vstate{domain=\"test\"}", "{}\"=", encoded);
    return encoded;
  }();
  nlohmann::json answer;
  const bool found = eventually(
      [&] {
        auto reply = tryGet(prom_port, query);
        if (!reply || reply->status != 200) {
          return false;
        }
        answer = nlohmann::json::parse(reply->body, nullptr, false);
        return answer.is_object() && answer["status"] == "success" &&
               !answer["data"]["result"].empty();
      },
      60s);
  prometheus.stop(SIGTERM);
  ASSERT_TRUE(found) << answer.dump() << "\n"
                     << univirt::testing::readWholeFile(dir_ + "/prom.err");
  const auto& series = answer["data"]["result"][0];
  EXPECT_EQ(series["metric"]["job"], "vms");
  EXPECT_EQ(series["metric"]["uuid"], "6695eb01-f6a4-8304-79aa-97f2502e193f");
  EXPECT_EQ(series["value"][1], "1");  // running
}

}  // namespace
}  // namespace univirt::virtmonitor
