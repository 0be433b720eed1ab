// Every OVN northbound operation of crd-contract §3.6 against a real ovsdb-server, each
// checked by reading the database back with ovn-nbctl.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/ovnctl/network_fixture.h"

namespace univirt::ovnctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using NorthboundOps = NetworkTest;

TEST_F(NorthboundOps, CreateSwitchSetsSubnetRouterAndDhcp) {
  auto spec = ok("createSwitch", "sw1",
                 {{"subnet", "10.0.0.0/24"},
                  {"dhcp", "10.0.0.1"},
                  {"dnsServer", "10.0.0.53"},
                  {"mtu", "1400"},
                  {"excludeIPs", "10.0.0.2..10.0.0.9,10.0.0.20"}});
  // Upstream never set other_config:subnet, so OVN could not assign dynamic addresses.
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch", "sw1", "other_config:subnet"}), "\"10.0.0.0/24\"");
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch", "sw1", "other_config:exclude_ips"}),
            "\"10.0.0.2..10.0.0.9 10.0.0.20\"");
  EXPECT_THAT(nb_->nbctl({"lr-list"}), HasSubstr("(sw1-router)"));
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Router_Port", "sw1-router-port", "networks"}),
            "[\"10.0.0.1/24\"]");
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", "mapping-to-sw1-router", "type"}), "router");
  const std::string dhcp = nb_->nbctl(
      {"--bare", "--columns=_uuid", "find", "DHCP_Options", "external_ids:univirt-switch=sw1"});
  ASSERT_FALSE(dhcp.empty());
  const std::string options = nb_->nbctl({"dhcp-options-get-options", dhcp});
  EXPECT_THAT(options, HasSubstr("server_id=10.0.0.1"));
  EXPECT_THAT(options, HasSubstr("router=10.0.0.1"));
  EXPECT_THAT(options, HasSubstr("mtu=1400"));
  EXPECT_THAT(options, HasSubstr("dns_server=10.0.0.53"));
  EXPECT_THAT(options, HasSubstr("lease_time=3600"));

  // The refresh shape of dump_l3_network_info.
  EXPECT_EQ(spec["type"], "l3network");
  EXPECT_EQ(spec["nodeName"], "node1");
  EXPECT_EQ(spec["data"]["switchInfo"]["name"], "sw1");
  EXPECT_EQ(spec["data"]["routerInfo"]["name"], "sw1-router");
  EXPECT_EQ(spec["data"]["gatewayInfo"]["id"], dhcp);
  EXPECT_EQ(spec["data"]["gatewayInfo"]["server_id"], "10.0.0.1");
}

TEST_F(NorthboundOps, CreateSwitchWithoutDhcpHasNoRouter) {
  ok("createSwitch", "plain", {{"subnet", "10.1.0.0/16"}});
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch", "plain", "other_config:subnet"}),
            "\"10.1.0.0/16\"");
  EXPECT_EQ(nb_->nbctl({"lr-list"}), "");
  EXPECT_EQ(nb_->nbctl({"dhcp-options-list"}), "");
}

TEST_F(NorthboundOps, CreateSwitchTwiceFailsAndChangesNothing) {
  ok("createSwitch", "sw1", {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}});
  const std::string before = nb_->dump();
  auto again = run("createSwitch", "sw1", {{"subnet", "10.9.0.0/24"}, {"dhcp", "10.9.0.1"}});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);
  EXPECT_THAT(again.error().message, HasSubstr("'sw1'"));
  EXPECT_EQ(nb_->dump(), before);
}

TEST_F(NorthboundOps, MalformedValuesAndUnknownSwitchLeaveTheDatabaseUnchanged) {
  makeTenantSwitch();
  ok("createAddress", "as1", {{"address", "10.0.0.1"}});
  const std::string before = nb_->dump();
  struct Bad {
    const char* key;
    const char* name;
    nlohmann::json params;
    const char* mentions;
  };
  const Bad cases[] = {
      {"createSwitch", "sw2", {{"subnet", "10.0.0.0/33"}}, "10.0.0.0/33"},
      {"createSwitch", "sw2", {{"subnet", "10.0.0.7/24"}}, "host bits"},
      {"createSwitch", "sw2", {{"subnet", "10.0.0"}}, "'10.0.0'"},
      {"createSwitch", "sw2", {{"subnet", "10.2.0.0/24"}, {"dhcp", "10.3.0.1"}}, "'10.3.0.1'"},
      {"createSwitch",
       "sw2",
       {{"subnet", "10.2.0.0/24"}, {"dhcp", "10.2.0.1"}, {"bridge", "br0"}, {"vlanId", "4095"}},
       "vlanId"},
      {"createSwitch",
       "sw2",
       {{"subnet", "10.2.0.0/24"}, {"dhcp", "10.2.0.1"}, {"bridge", "br0"}, {"vlanId", "ten"}},
       "vlanId"},
      {"createSwitch", "bad name", {{"subnet", "10.2.0.0/24"}}, "'bad name'"},
      {"createSwitch",
       "sw2",
       {{"subnet", "10.2.0.0/24"}, {"excludeIPs", "10.2.0.9..10.2.0.3"}},
       "10.2.0.9..10.2.0.3"},
      {"modidySwitch", "nosuch", {{"mtu", "1400"}}, "'nosuch'"},
      {"modifySwitch", "sw1", {{"dhcp", "192.168.0.1"}}, "'192.168.0.1'"},
      {"deleteSwitch", "nosuch", nlohmann::json::object(), "'nosuch'"},
      {"bindSwPort", "nosuch", {{"mac", "52:54:00:00:00:02"}}, "'nosuch'"},
      {"bindSwPort", "sw1", {{"mac", "52:54:00:00:02"}}, "'52:54:00:00:02'"},
      {"bindSwPort", "sw1", {{"mac", "52:54:00:00:00:zz"}}, "'52:54:00:00:00:zz'"},
      {"bindSwPort", "sw1", {{"mac", "01:00:5e:00:00:01"}}, "unicast"},
      {"bindSwPort", "sw1", {{"mac", "52:54:00:00:00:02"}, {"ip", "10.9.9.9"}}, "'10.9.9.9'"},
      {"bindSwPort", "sw1", {{"mac", "52:54:00:00:00:02"}, {"ip", "10.0.0.256"}}, "'10.0.0.256'"},
      {"createAddress", "as2", {{"address", "10.0.0.1,10.0.0.300"}}, "'10.0.0.300'"},
      {"modifyAddress", "nosuch", {{"address", "10.0.0.1"}}, "'nosuch'"},
      {"createAddress", "as1", {{"address", "10.0.0.2"}}, "'as1'"},
      {"bindFloatingIP",
       "vm1",
       {{"swName", "nosuch"},
        {"outSwName", "sw1"},
        {"vmmac", "52:54:00:00:00:01"},
        {"fip", "192.168.1.10/24"}},
       "'nosuch'"},
      {"bindFloatingIP",
       "vm1",
       {{"swName", "sw1"},
        {"outSwName", "sw1"},
        {"vmmac", "52:54:00:00:00:01"},
        {"fip", "192.168.1.10"}},
       "'192.168.1.10'"},
      {"addACL",
       "vm1",
       {{"swName", "nosuch"},
        {"vmmac", "52:54:00:00:00:01"},
        {"type", "from"},
        {"rule", "tcp.dst==80"},
        {"operator", "allow"}},
       "'nosuch'"},
      {"addACL",
       "vm1",
       {{"swName", "sw1"},
        {"vmmac", "52:54:00:00:00:99"},
        {"type", "from"},
        {"rule", "tcp.dst==80"},
        {"operator", "allow"}},
       "'52:54:00:00:00:99'"},
      {"addACL",
       "vm1",
       {{"swName", "sw1"},
        {"vmmac", "52:54:00:00:00:01"},
        {"type", "sideways"},
        {"rule", "tcp.dst==80"},
        {"operator", "allow"}},
       "sideways"},
      {"addACL",
       "vm1",
       {{"swName", "sw1"},
        {"vmmac", "52:54:00:00:00:01"},
        {"type", "from"},
        {"rule", "tcp.dst==80"},
        {"operator", "allow"},
        {"priority", "40000"}},
       "priority"},
      {"setQoS",
       "vm1",
       {{"swName", "nosuch"}, {"type", "to"}, {"rule", "ip4"}, {"rate", "10"}},
       "'nosuch'"},
      {"setQoS",
       "vm1",
       {{"swName", "sw1"}, {"type", "to"}, {"rule", "ip4"}, {"rate", "0"}},
       "rate"},
  };
  for (const auto& bad : cases) {
    auto result = run(bad.key, bad.name, bad.params);
    ASSERT_FALSE(result.has_value()) << bad.key << " " << bad.params.dump() << " succeeded";
    EXPECT_THAT(result.error().message, HasSubstr(bad.mentions))
        << bad.key << " " << bad.params.dump();
  }
  EXPECT_EQ(nb_->dump(), before);
}

TEST_F(NorthboundOps, ModifySwitchKeepsDnsAndAcceptsUpstreamSpelling) {
  ok("createSwitch", "sw1",
     {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}, {"dnsServer", "10.0.0.53"}});
  ok("modidySwitch", "sw1", {{"gateway", "10.0.0.254"}, {"mtu", 9000}});
  const std::string dhcp = nb_->nbctl(
      {"--bare", "--columns=_uuid", "find", "DHCP_Options", "external_ids:univirt-switch=sw1"});
  std::string options = nb_->nbctl({"dhcp-options-get-options", dhcp});
  EXPECT_THAT(options, HasSubstr("router=10.0.0.254"));
  EXPECT_THAT(options, HasSubstr("mtu=9000"));
  // Upstream dropped dns_server whenever --dnsServer was not repeated.
  EXPECT_THAT(options, HasSubstr("dns_server=10.0.0.53"));

  ok("modifySwitch", "sw1", {{"dhcp", "10.0.0.2"}});
  options = nb_->nbctl({"dhcp-options-get-options", dhcp});
  EXPECT_THAT(options, HasSubstr("server_id=10.0.0.2"));
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Router_Port", "sw1-router-port", "networks"}),
            "[\"10.0.0.2/24\"]");
}

TEST_F(NorthboundOps, DeleteSwitchRemovesSwitchRouterAndDhcp) {
  makeTenantSwitch();
  ok("createSwitch", "other", {{"subnet", "10.5.0.0/24"}, {"dhcp", "10.5.0.1"}});
  auto deleted = ok("deleteSwitch", "sw1", nlohmann::json::object());
  EXPECT_EQ(deleted["deleted"], true);
  const std::string switches = nb_->nbctl({"ls-list"});
  EXPECT_THAT(switches, Not(HasSubstr("(sw1)")));
  EXPECT_THAT(switches, HasSubstr("(other)"));
  EXPECT_THAT(nb_->nbctl({"lr-list"}), Not(HasSubstr("(sw1-router)")));
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=_uuid", "find", "DHCP_Options",
                        "external_ids:univirt-switch=sw1"}),
            "");
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "name=mapping-to-sw1-router"}),
            "");
  // deleteSwitch of a switch that is gone: a clear error, not a silent success.
  auto again = run("deleteSwitch", "sw1", nlohmann::json::object());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::NotFound);
}

TEST_F(NorthboundOps, BindSwPortIsIdempotentAndUnbindRemovesThePort) {
  ok("createSwitch", "sw1", {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}});
  ok("bindSwPort", "sw1", {{"mac", "52:54:00:AB:00:01"}, {"ip", "10.0.0.10"}});
  const std::string before = nb_->dump();
  auto spec = ok("bindSwPort", "sw1", {{"mac", "52:54:00:ab:00:01"}, {"ip", "10.0.0.10"}});
  EXPECT_EQ(nb_->dump(), before) << "binding the same NIC again changed the database";
  EXPECT_EQ(nb_->nbctl({"lsp-get-addresses", "univirt-525400ab0001"}),
            "52:54:00:ab:00:01 10.0.0.10");
  EXPECT_THAT(nb_->nbctl({"lsp-get-dhcpv4-options", "univirt-525400ab0001"}),
              HasSubstr("(10.0.0.0/24)"));
  bool listed = false;
  for (const auto& port : spec["data"]["switchInfo"]["ports"]) {
    listed = listed || port["name"] == "univirt-525400ab0001";
  }
  EXPECT_TRUE(listed) << spec.dump();

  // A new address replaces the port; there is still exactly one.
  ok("bindSwPort", "sw1", {{"mac", "52:54:00:ab:00:01"}});
  EXPECT_EQ(nb_->nbctl({"lsp-get-addresses", "univirt-525400ab0001"}), "52:54:00:ab:00:01 dynamic");
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "external_ids:univirt-mac=\"52:54:00:ab:00:01\""}),
            "univirt-525400ab0001");

  ok("unbindSwPort", "sw1", {{"mac", "52:54:00:ab:00:01"}});
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}).find("univirt-525400ab0001"), std::string::npos);
  auto again = run("unbindSwPort", "sw1", {{"mac", "52:54:00:ab:00:01"}});
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(again.error().message, HasSubstr("'52:54:00:ab:00:01'"));
}

TEST_F(NorthboundOps, AddressSetsUseTheAddressesColumn) {
  auto spec = ok("createAddress", "as1", {{"address", "10.10.10.11,10.10.10.13,192.168.96.0/21"}});
  EXPECT_EQ(spec["type"], "l3network");
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=addresses", "find", "Address_Set", "name=as1"}),
            "10.10.10.11 10.10.10.13 192.168.96.0/21");
  ok("modifyAddress", "as1", {{"address", "10.0.0.1"}});
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=addresses", "find", "Address_Set", "name=as1"}),
            "10.0.0.1");
  auto deleted = ok("deleteAddress", "as1", nlohmann::json::object());
  EXPECT_EQ(deleted["deleted"], true);
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Address_Set", "name=as1"}), "");
}

TEST_F(NorthboundOps, UnbindFloatingIpRemovesOnlyItsOwnNatRows) {
  makeTenantSwitch();
  ok("createSwitch", "ext", {{"subnet", "192.168.1.0/24"}});
  // Someone else's snat on the same router: upstream's unbind-fip without --vmip removed it.
  nb_->nbctl({"lr-nat-add", "sw1-router", "snat", "192.168.1.99", "10.0.0.0/24"});
  ok("bindFloatingIP", "vm1",
     {{"swName", "sw1"},
      {"outSwName", "ext"},
      {"vmmac", "52:54:00:00:00:01"},
      {"fip", "192.168.1.10/24"}});
  const std::string nat = nb_->nbctl({"lr-nat-list", "sw1-router"});
  EXPECT_THAT(nat, HasSubstr("dnat"));
  EXPECT_THAT(nat, ::testing::ContainsRegex("snat +192.168.1.10 +10.0.0.10"));
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Router_Port", "public-525400000001-port", "networks"}),
            "[\"192.168.1.10/24\"]");
  EXPECT_EQ(nb_->nbctl({"lsp-get-type", "from-public-525400000001-port"}), "router");
  EXPECT_THAT(nb_->nbctl({"lsp-list", "ext"}), HasSubstr("from-public-525400000001-port"));

  ok("unbindFloatingIP", "vm1",
     {{"swName", "sw1"}, {"vmmac", "52:54:00:00:00:01"}, {"fip", "192.168.1.10"}});
  const std::string after = nb_->nbctl({"lr-nat-list", "sw1-router"});
  EXPECT_THAT(after, Not(HasSubstr("192.168.1.10")));
  EXPECT_THAT(after, HasSubstr("192.168.1.99"));
  EXPECT_THAT(nb_->nbctl({"lrp-list", "sw1-router"}), Not(HasSubstr("public-")));
  EXPECT_THAT(nb_->nbctl({"lsp-list", "ext"}), Not(HasSubstr("from-public-")));
}

TEST_F(NorthboundOps, AclsAreAddedModifiedAndDeleted) {
  makeTenantSwitch();
  const nlohmann::json acl = {{"swName", "sw1"},     {"vmmac", "52:54:00:00:00:01"},
                              {"type", "from"},      {"rule", "tcp.dst == 80 || udp"},
                              {"operator", "allow"}, {"priority", "1000"}};
  ok("addACL", "vm1", acl);
  EXPECT_EQ(nb_->nbctl({"acl-list", "sw1"}),
            "from-lport  1000 (inport == \"univirt-525400000001\" && (tcp.dst == 80 || udp)) "
            "allow-related");
  auto duplicate = run("addACL", "vm1", acl);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, util::ErrorCode::AlreadyExists);

  auto drop = acl;
  drop["operator"] = "drop";
  ok("modifyACL", "vm1", drop);
  EXPECT_EQ(nb_->nbctl({"acl-list", "sw1"}),
            "from-lport  1000 (inport == \"univirt-525400000001\" && (tcp.dst == 80 || udp)) drop");

  auto remove = acl;
  remove.erase("operator");
  ok("deprecatedACL", "vm1", remove);
  EXPECT_EQ(nb_->nbctl({"acl-list", "sw1"}), "");
  auto again = run("deprecatedACL", "vm1", remove);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::NotFound);
}

TEST_F(NorthboundOps, AclsMadeByUpstreamCanBeDeleted) {
  makeTenantSwitch();
  // kubeovn-adm's form: no parentheses around the rule.
  nb_->nbctl({"acl-add", "sw1", "to-lport", "100", "outport == \"univirt-525400000001\" && icmp4",
              "drop"});
  ok("deprecatedACL", "vm1",
     {{"swName", "sw1"}, {"vmmac", "52:54:00:00:00:01"}, {"type", "to"}, {"rule", "icmp4"}});
  EXPECT_EQ(nb_->nbctl({"acl-list", "sw1"}), "");
}

TEST_F(NorthboundOps, QosRulesAreSetModifiedAndUnset) {
  makeTenantSwitch();
  const nlohmann::json qos = {{"swName", "sw1"},
                              {"type", "to"},
                              {"rule", "ip4.dst == 10.0.0.10"},
                              {"rate", "1000"},
                              {"burst", "100"}};
  ok("setQoS", "vm1", qos);
  EXPECT_THAT(
      nb_->nbctl({"qos-list", "sw1"}),
      ::testing::ContainsRegex("to-lport +100 \\(ip4.dst == 10.0.0.10\\) rate=1000 burst=100"));
  auto faster = qos;
  faster["rate"] = 2000;
  faster.erase("burst");
  ok("modifyQoS", "vm1", faster);
  EXPECT_THAT(nb_->nbctl({"qos-list", "sw1"}), HasSubstr("rate=2000"));
  EXPECT_THAT(nb_->nbctl({"qos-list", "sw1"}), Not(HasSubstr("burst")));
  ok("unsetQoS", "vm1", {{"swName", "sw1"}, {"type", "to"}, {"rule", "ip4.dst == 10.0.0.10"}});
  EXPECT_EQ(nb_->nbctl({"qos-list", "sw1"}), "");
}

TEST(NorthboundEndpoint, TcpWorksLikeUnix) {
  auto server = OvsdbServer::start(kNorthboundSchema, /*tcp=*/true);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const int port = (*server)->tcpPort();
  ASSERT_GT(port, 0) << "no listening port in the ovsdb-server log";
  NetworkOperationDeps deps{.northbound = fmt::format("tcp:127.0.0.1:{}", port), .ovs_db = ""};
  lifecycle::OperationTable table;
  addNetworkOperations(table, deps);
  auto request =
      table.validate(kNetworkKind, "viatcp", {{"createSwitch", {{"subnet", "10.7.0.0/24"}}}}, {});
  ASSERT_TRUE(request.has_value()) << request.error().message;
  lifecycle::Invocation invocation{.operation = request->operation,
                                   .object = nlohmann::json::object(),
                                   .namespace_name = "default",
                                   .name = "viatcp",
                                   .params = request->params,
                                   .request_id = "test"};
  auto outcome = request->operation->handler(invocation);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_THAT((*server)->nbctl({"ls-list"}), HasSubstr("(viatcp)"));
}

TEST(NorthboundEndpoint, UnreachableServerIsAClearError) {
  NetworkOperationDeps deps{.northbound = "unix:/nonexistent/ovnnb_db.sock", .ovs_db = ""};
  lifecycle::OperationTable table;
  addNetworkOperations(table, deps);
  auto request =
      table.validate(kNetworkKind, "sw", {{"createSwitch", {{"subnet", "10.7.0.0/24"}}}}, {});
  ASSERT_TRUE(request.has_value()) << request.error().message;
  lifecycle::Invocation invocation{.operation = request->operation,
                                   .object = nlohmann::json::object(),
                                   .namespace_name = "default",
                                   .name = "sw",
                                   .params = request->params,
                                   .request_id = "test"};
  auto outcome = request->operation->handler(invocation);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, util::ErrorCode::Unavailable);
  EXPECT_THAT(outcome.error().message, HasSubstr("unix:/nonexistent/ovnnb_db.sock"));
}

}  // namespace
}  // namespace univirt::ovnctl::testing
