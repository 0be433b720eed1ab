// virtctl carrying out VirtualMachineNetwork requests (the ovnctl rows of its table) through
// the lifecycle engine in this process as virtctl, against a real kube-lite (requests applied
// with the real kubectl) and a real OVN northbound ovsdb-server: the path no other test takes
// through the engine, so its API requests feed the ClusterRole check (clusterrole_audit_test.py).

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "core/lifecycle/request_marker.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/ovnctl/ovsdb_server.h"
#include "ovnctl/network_operations.h"
#include "virtctl/watched_kinds.h"

namespace univirt::ovnctl {
namespace {

using namespace std::chrono_literals;

const kube::ResourceRef kNetworks{"doslab.io", "v1", "virtualmachinenetworks", true};
constexpr const char* kNode = "rbac-net-node";

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

// kube-lite with the VirtualMachineNetwork CRD, a namespace, a real OVN northbound
// ovsdb-server and the lifecycle engine with the ovnctl rows running as virtctl.
class NetworkThroughEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    auto crd = server_.kubectl(
        {"apply", "-f",
         std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachinenetwork.yaml"});
    ASSERT_EQ(crd.exit_code, 0) << crd.err;
    ASSERT_EQ(server_
                  .kubectl({"wait", "--for=condition=Established", "--timeout=30s",
                            "crd/virtualmachinenetworks.doslab.io"})
                  .exit_code,
              0);
    ns_ = fmt::format("rbac-net-{}", ::getpid());
    ASSERT_EQ(server_.kubectl({"create", "namespace", ns_}).exit_code, 0);
    auto northbound = testing::OvsdbServer::start(testing::kNorthboundSchema);
    ASSERT_TRUE(northbound.has_value()) << northbound.error().message;
    northbound_ = std::move(*northbound);
    auto client = kube::testing::clientFor(server_);  // the test's own requests
    ASSERT_TRUE(client.has_value()) << client.error().message;
    client_ = std::move(*client);
    auto virtctl_client = kube::testing::daemonClientFor(server_, "virtctl");
    ASSERT_TRUE(virtctl_client.has_value()) << virtctl_client.error().message;
    virtctl_client_ = std::move(*virtctl_client);

    deps_.northbound = northbound_->endpoint();
    deps_.ovs_db.clear();
    deps_.node_name = kNode;
    addNetworkOperations(table_, deps_);
    std::vector<lifecycle::WatchedKind> kinds;
    for (auto& kind : virtctl::watchedKinds(table_)) {
      if (kind.kind == "VirtualMachineNetwork") {
        kinds.push_back(std::move(kind));
      }
    }
    ASSERT_EQ(kinds.size(), 1U);
    engine_ = std::make_unique<lifecycle::LifecycleEngine>(
        *virtctl_client_, table_, std::move(kinds),
        lifecycle::EngineOptions{
            .node_name = kNode, .namespace_name = ns_, .workers = 1, .validation = {}});
    engine_->start();
    ASSERT_TRUE(engine_->waitForSync(20s));
  }
  void TearDown() override {
    if (engine_) {
      engine_->stop();
    }
  }

  void request(const std::string& operation, const nlohmann::json& params) {
    const nlohmann::json object = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", "VirtualMachineNetwork"},
        {"metadata", {{"name", "rbacsw"}, {"namespace", ns_}, {"labels", {{"host", kNode}}}}},
        {"spec", {{"nodeName", kNode}, {"lifecycle", {{operation, params}}}}}};
    auto applied = server_.kubectl({"apply", "-f", "-"}, {}, object.dump());
    EXPECT_EQ(applied.exit_code, 0) << applied.err;
  }
  util::Result<kube::Object> current() {
    return client_->get(kNetworks, kube::ObjectKey{ns_, "rbacsw"});
  }
  bool waitForSucceeded(nlohmann::json& last) {
    return waitFor([&] {
      auto got = current();
      last = got ? *got : nlohmann::json();
      return got && (*got)["status"]["lastOperation"].value("phase", "") == "Succeeded";
    });
  }
  std::string switchNamed(const std::string& name) {
    return northbound_->nbctl(
        {"--bare", "--columns=name", "find", "Logical_Switch", "name=" + name});
  }

  univirt::testing::KubeLiteProcess server_;
  std::string ns_;
  std::unique_ptr<testing::OvsdbServer> northbound_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Client> virtctl_client_;
  NetworkOperationDeps deps_;
  lifecycle::OperationTable table_;
  std::unique_ptr<lifecycle::LifecycleEngine> engine_;
};

TEST_F(NetworkThroughEngine, ASwitchRequestedThroughItsObjectIsMadeAndDeleted) {
  request("createSwitch", {{"subnet", "10.9.0.0/24"}});
  nlohmann::json last;
  ASSERT_TRUE(waitForSucceeded(last)) << last.dump();
  EXPECT_EQ(switchNamed("rbacsw"), "rbacsw");

  request("deleteSwitch", nlohmann::json::object());
  ASSERT_TRUE(waitFor([&] {
    auto got = current();
    return !got && got.error().code == util::ErrorCode::NotFound;
  }));
  EXPECT_EQ(switchNamed("rbacsw"), "");
}

// A user edits the object while its request runs: the outcome write conflicts, virtctl reads
// the object again and writes the outcome onto the user's version, keeping both.
TEST_F(NetworkThroughEngine, AnEditWhileTheRequestRunsIsKeptBesideTheOutcome) {
  std::ifstream pidfile(northbound_->dir() / "db.pid");
  pid_t northbound_pid = 0;
  pidfile >> northbound_pid;
  ASSERT_GT(northbound_pid, 0);
  // Frozen, the northbound database holds the handler inside its transaction.
  ASSERT_EQ(::kill(northbound_pid, SIGSTOP), 0);
  request("createSwitch", {{"subnet", "10.9.1.0/24"}});
  const bool taken = waitFor([&] {
    auto got = current();
    return got &&
           (*got)["metadata"]["annotations"].contains(std::string(lifecycle::kOperationAnnotation));
  });
  nlohmann::json edit = {{"metadata", {{"labels", {{"edited-by", "user"}}}}}};
  std::optional<util::Result<kube::Object>> edited;
  if (taken) {
    edited =
        client_->patch(kNetworks, kube::ObjectKey{ns_, "rbacsw"}, kube::PatchType::Merge, edit);
  }
  ::kill(northbound_pid, SIGCONT);
  ASSERT_TRUE(taken) << "the request was never taken";
  ASSERT_TRUE(edited->has_value()) << edited->error().message;

  nlohmann::json last;
  ASSERT_TRUE(waitForSucceeded(last)) << last.dump();
  EXPECT_EQ(last["metadata"]["labels"].value("edited-by", ""), "user");
  EXPECT_FALSE(last["spec"].contains("lifecycle"));
  EXPECT_EQ(switchNamed("rbacsw"), "rbacsw");
}

}  // namespace
}  // namespace univirt::ovnctl
