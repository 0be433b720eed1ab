// virtctl carrying out VirtualMachineNetwork requests (the ovnctl rows of its table) through
// the lifecycle engine in this process as virtctl, against a real kube-lite (requests applied
// with the real kubectl) and a real OVN northbound ovsdb-server: the path no other test takes
// through the engine, so its API requests feed the ClusterRole check (clusterrole_audit_test.py).

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
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

TEST(NetworkThroughEngine, ASwitchRequestedThroughItsObjectIsMadeAndDeleted) {
  univirt::testing::KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto crd = server.kubectl(
      {"apply", "-f",
       std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachinenetwork.yaml"});
  ASSERT_EQ(crd.exit_code, 0) << crd.err;
  ASSERT_EQ(server
                .kubectl({"wait", "--for=condition=Established", "--timeout=30s",
                          "crd/virtualmachinenetworks.doslab.io"})
                .exit_code,
            0);
  const std::string ns = fmt::format("rbac-net-{}", ::getpid());
  ASSERT_EQ(server.kubectl({"create", "namespace", ns}).exit_code, 0);
  auto northbound = testing::OvsdbServer::start(testing::kNorthboundSchema);
  ASSERT_TRUE(northbound.has_value()) << northbound.error().message;
  auto client = kube::testing::clientFor(server);  // the test's own requests
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto virtctl_client = kube::testing::daemonClientFor(server, "virtctl");
  ASSERT_TRUE(virtctl_client.has_value()) << virtctl_client.error().message;

  NetworkOperationDeps deps;
  deps.northbound = (*northbound)->endpoint();
  deps.ovs_db.clear();
  deps.node_name = kNode;
  lifecycle::OperationTable table;
  addNetworkOperations(table, deps);
  std::vector<lifecycle::WatchedKind> kinds;
  for (auto& kind : virtctl::watchedKinds(table)) {
    if (kind.kind == "VirtualMachineNetwork") {
      kinds.push_back(std::move(kind));
    }
  }
  ASSERT_EQ(kinds.size(), 1U);
  lifecycle::LifecycleEngine engine(
      **virtctl_client, table, std::move(kinds),
      lifecycle::EngineOptions{
          .node_name = kNode, .namespace_name = ns, .workers = 1, .validation = {}});
  engine.start();
  ASSERT_TRUE(engine.waitForSync(20s));

  const auto request = [&](const std::string& operation, const nlohmann::json& params) {
    const nlohmann::json object = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", "VirtualMachineNetwork"},
        {"metadata", {{"name", "rbacsw"}, {"namespace", ns}, {"labels", {{"host", kNode}}}}},
        {"spec", {{"nodeName", kNode}, {"lifecycle", {{operation, params}}}}}};
    auto applied = server.kubectl({"apply", "-f", "-"}, {}, object.dump());
    EXPECT_EQ(applied.exit_code, 0) << applied.err;
  };
  request("createSwitch", {{"subnet", "10.9.0.0/24"}});
  nlohmann::json last;
  ASSERT_TRUE(waitFor([&] {
    auto got = (*client)->get(kNetworks, kube::ObjectKey{ns, "rbacsw"});
    last = got ? *got : nlohmann::json();
    return got && (*got)["status"]["lastOperation"].value("phase", "") == "Succeeded";
  })) << last.dump();
  EXPECT_EQ(
      (*northbound)->nbctl({"--bare", "--columns=name", "find", "Logical_Switch", "name=rbacsw"}),
      "rbacsw");

  request("deleteSwitch", nlohmann::json::object());
  ASSERT_TRUE(waitFor([&] {
    auto got = (*client)->get(kNetworks, kube::ObjectKey{ns, "rbacsw"});
    return !got && got.error().code == util::ErrorCode::NotFound;
  }));
  EXPECT_EQ(
      (*northbound)->nbctl({"--bare", "--columns=name", "find", "Logical_Switch", "name=rbacsw"}),
      "");
  engine.stop();
}

}  // namespace
}  // namespace univirt::ovnctl
