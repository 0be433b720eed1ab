// univirt-libvirtwatcher as shipped: --help, the lock, readiness on the health port, a domain
// state change made with libvirt reaching the VirtualMachine through kube-lite, the metrics of
// that on /metrics, and a clean SIGTERM. Uses the real libvirtd of the `virtctl_libvirtd` fixture;
// the domain is a firmware guest of 64 MiB with a unique uvt- name, destroyed and undefined
// afterwards.

#include <csignal>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/virt/connection.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::libvirtwatcher {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using univirt::testing::BackgroundProcess;
using univirt::testing::KubeLiteProcess;
using univirt::testing::readWholeFile;
using univirt::testing::runProcess;

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
constexpr const char* kUri = "qemu:///system";
constexpr const char* kNode = "lvw-system-node";

std::string binary() {
  return std::string(UNIVIRT_BINARY_DIR) + "/daemons/libvirtwatcher/univirt-libvirtwatcher";
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

int httpStatus(int port, const std::string& path) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    return static_cast<int>(response.getStatus());
  } catch (const std::exception&) {
    return 0;
  }
}

std::string httpBody(int port, const std::string& path) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::ostringstream body;
    body << in.rdbuf();
    return body.str();
  } catch (const std::exception&) {
    return {};
  }
}

// The value of `series` (exactly as printed, with labels) in a Prometheus text; -1 if absent.
double metricValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  for (std::size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at + prefix.size())) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::stod(text.substr(at + prefix.size(), text.find('\n', at) - at - prefix.size()));
    }
  }
  return -1;
}

class LibvirtwatcherDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "univirt-lvw-system.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
};

TEST_F(LibvirtwatcherDaemon, HelpListsTheOptionsAndTheHealthPort) {
  auto help = runProcess({binary(), "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (const char* option :
       {"--libvirt-uri", "--coalesce-window", "--ha-max-tries", "--ha-retry-delay",
        "--home-namespace", "--workers", "--devices-dir", "--undefined-devices-dir"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  EXPECT_THAT(help.out, HasSubstr("127.0.0.1:19992"));
  auto bad = runProcess({binary(), "--coalesce-window", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--coalesce-window"));
}

TEST_F(LibvirtwatcherDaemon, DomainChangesReachTheObjectAndSigtermStopsCleanly) {
  auto observer = virt::Connection::open(kUri);
  if (!observer) {
    GTEST_SKIP() << "no libvirtd answers on qemu:///system (the virtctl_libvirtd fixture starts "
                    "it): "
                 << observer.error().message;
  }
  KubeLiteProcess server;
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
  const std::string ns = fmt::format("lvw-sys-{}", getpid());
  ASSERT_EQ(server.kubectl({"create", "namespace", ns}).exit_code, 0);
  const std::string name = fmt::format("uvt-lvw-sys-{}", getpid());
  const std::string xml = fmt::format(
      "<domain type='qemu'><name>{}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/><apic/></features>"
      "</domain>",
      name);
  auto domain = observer->defineDomain(xml);
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  struct Cleanup {
    virt::Domain& domain;
    ~Cleanup() {
      (void)domain.destroy();
      (void)domain.undefine();
    }
  } cleanup{*domain};
  ASSERT_TRUE(domain->start().has_value());
  const nlohmann::json vm = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"host", kNode}}}}},
      {"spec", {{"nodeName", kNode}}}};
  ASSERT_EQ(server.kubectl({"apply", "-f", "-"}, {}, vm.dump()).exit_code, 0);

  const std::vector<std::string> argv = {binary(),
                                         "--config",
                                         "",
                                         "--kubeconfig",
                                         server.kubeconfig(),
                                         "--node-name",
                                         kNode,
                                         "--namespace",
                                         ns,
                                         "--home-namespace",
                                         ns,
                                         "--libvirt-uri",
                                         kUri,
                                         "--lock-file",
                                         (dir_ / "lvw.lock").string(),
                                         "--devices-dir",
                                         (dir_ / "devices").string(),
                                         "--undefined-devices-dir",
                                         (dir_ / "undefined").string(),
                                         "--health-address",
                                         "127.0.0.1:0"};
  BackgroundProcess watcher;
  const std::string err = (dir_ / "lvw.err").string();
  ASSERT_TRUE(watcher.start(argv, {}, (dir_ / "lvw.out").string(), err));

  int port = 0;
  ASSERT_TRUE(eventually([&] {
    std::smatch match;
    const std::string log = readWholeFile(err);
    static const std::regex kPort(R"(msg="health server listening".* port=(\d+))");
    if (std::regex_search(log, match, kPort)) {
      port = std::stoi(match[1]);
    }
    return port > 0;
  })) << readWholeFile(err);
  EXPECT_TRUE(eventually([&] { return httpStatus(port, "/readyz") == 200; }));

  // A second copy on the node is refused by the lock.
  auto second = runProcess(argv, {}, "", 20s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("lvw.lock"));

  auto client = kube::testing::clientFor(server);
  ASSERT_TRUE(client.has_value());
  const auto powerstate = [&] {
    auto got = (*client)->get(kVirtualMachines, {ns, name});
    return got.has_value() ? got->value("spec", nlohmann::json::object()).value("powerstate", "")
                           : std::string();
  };
  EXPECT_TRUE(eventually([&] { return powerstate() == "Running"; })) << readWholeFile(err);
  ASSERT_TRUE(domain->suspend().has_value());
  EXPECT_TRUE(eventually([&] { return powerstate() == "Paused"; })) << readWholeFile(err);

  // What that took, on the health port's /metrics (other domains of this libvirtd may add).
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = httpBody(port, "/metrics");
    return metricValue(metrics, R"(univirt_libvirtwatcher_events_total{type="Suspended"})") >= 1;
  })) << metrics;
  EXPECT_GE(
      metricValue(metrics, R"(univirt_libvirtwatcher_writes_total{resource="virtualmachines"})"),
      2)
      << metrics;  // Running, then Paused
  EXPECT_GE(metricValue(metrics, "univirt_libvirtwatcher_event_to_write_seconds_count"), 1);
  EXPECT_EQ(metricValue(metrics, "univirt_libvirtwatcher_resyncs_total"), 1);
  EXPECT_EQ(metricValue(metrics, "univirt_libvirtwatcher_reconnects_total"), 0);
  EXPECT_GE(metricValue(metrics, "univirt_libvirtwatcher_coalesced_events_total"), 0);
  EXPECT_THAT(metrics, HasSubstr("process_resident_memory_bytes"));

  const int status = watcher.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << readWholeFile(err);
}

}  // namespace
}  // namespace univirt::libvirtwatcher
