#pragma once

// The fixture of the ovnctl integration tests: a real OVN northbound ovsdb-server and a real
// Open_vSwitch ovsdb-server on unix sockets in temp directories, the network rows of the
// operation table pointed at them, and a helper that runs one lifecycle request the way
// virtctl does (validate against the table, run the handler, read back with the refresh).

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "integration/ovnctl/ovsdb_server.h"
#include "ovnctl/network_operations.h"

namespace univirt::ovnctl::testing {

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nb = OvsdbServer::start(kNorthboundSchema);
    ASSERT_TRUE(nb.has_value()) << nb.error().message;
    nb_ = std::move(*nb);
    auto ovs = OvsdbServer::start(kVswitchSchema);
    ASSERT_TRUE(ovs.has_value()) << ovs.error().message;
    ovs_ = std::move(*ovs);
    ovs_->vsctl({"init"});
    deps_.northbound = nb_->endpoint();
    deps_.ovs_db = ovs_->endpoint();
    deps_.node_name = "node1";
    addNetworkOperations(table_, deps_);
  }

  // Runs `key` on the VirtualMachineNetwork `name`: the refreshed .spec fields, or
  // {"deleted": true} when the operation removed the object.
  util::Result<nlohmann::json> run(const std::string& key, const std::string& name,
                                   const nlohmann::json& params) {
    auto request = table_.validate(kNetworkKind, name, {{key, params}}, {});
    if (!request) {
      return request.error();
    }
    lifecycle::Invocation invocation{
        .operation = request->operation,
        .object = {{"metadata", {{"name", name}, {"namespace", "default"}}}},
        .namespace_name = "default",
        .name = name,
        .params = std::move(request->params),
        .request_id = "test"};
    auto outcome = request->operation->handler(invocation);
    if (!outcome) {
      return outcome.error();
    }
    if (outcome->object_deleted) {
      return nlohmann::json{{"deleted", true}};
    }
    if (!request->operation->refresh) {
      return nlohmann::json::object();
    }
    auto refreshed = request->operation->refresh(invocation);
    if (!refreshed) {
      return refreshed.error();
    }
    return refreshed->spec_fields;
  }

  // Runs and asserts success.
  nlohmann::json ok(const std::string& key, const std::string& name, const nlohmann::json& params) {
    auto result = run(key, name, params);
    EXPECT_TRUE(result.has_value()) << key << " " << name << ": " << result.error().message;
    return result ? *result : nlohmann::json();
  }

  // A switch with router and DHCP (10.0.0.0/24) and a VM port 52:54:00:00:00:01 = 10.0.0.10.
  void makeTenantSwitch() {
    ok("createSwitch", "sw1", {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}});
    ok("bindSwPort", "sw1", {{"mac", "52:54:00:00:00:01"}, {"ip", "10.0.0.10"}});
  }

  std::unique_ptr<OvsdbServer> nb_;
  std::unique_ptr<OvsdbServer> ovs_;
  NetworkOperationDeps deps_;
  lifecycle::OperationTable table_;
};

}  // namespace univirt::ovnctl::testing
