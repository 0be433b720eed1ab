// The OVS operations of crd-contract §3.6 (bridges, VLAN fake bridges, VLAN tags of VM ports,
// bridge mappings of localnet uplinks) against a real Open_vSwitch ovsdb-server, read back with
// ovs-vsctl. Only the database is checked (ovs-vswitchd is not running), like ovs-vsctl
// --no-wait.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/ovnctl/network_fixture.h"

namespace univirt::ovnctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using VswitchOps = NetworkTest;

TEST_F(VswitchOps, CreateBridgeAddsUplinkAndVlanFakeBridge) {
  auto spec = ok("createBridge", "net1",
                 {{"name", "br0"}, {"nic", "eth9"}, {"vlan", "10"}, {"datapathType", "netdev"}});
  EXPECT_EQ(ovs_->vsctl({"list-br"}), "br0\nbr0-10");
  EXPECT_EQ(ovs_->vsctl({"br-to-vlan", "br0-10"}), "10");
  EXPECT_EQ(ovs_->vsctl({"br-to-parent", "br0-10"}), "br0");
  EXPECT_EQ(ovs_->vsctl({"list-ports", "br0"}), "eth9");
  EXPECT_EQ(ovs_->vsctl({"get", "Bridge", "br0", "datapath_type"}), "netdev");
  EXPECT_EQ(spec["type"], "l2network");
  EXPECT_EQ(spec["data"]["bridgeInfo"]["name"], "br0");
  EXPECT_EQ(spec["data"]["bridgeInfo"]["ports"].size(), 3u);

  const std::string before = ovs_->dump();
  auto again = run("createBridge", "net1", {{"name", "br0"}, {"nic", "eth8"}});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);
  auto bad_vlan = run("createBridge", "net1", {{"name", "br1"}, {"nic", "eth8"}, {"vlan", "4095"}});
  ASSERT_FALSE(bad_vlan.has_value());
  EXPECT_THAT(bad_vlan.error().message, HasSubstr("vlan"));
  auto bad_name = run("createBridge", "net1", {{"name", "br;rm -rf"}, {"nic", "eth8"}});
  ASSERT_FALSE(bad_name.has_value());
  EXPECT_THAT(bad_name.error().message, HasSubstr("'br;rm -rf'"));
  EXPECT_EQ(ovs_->dump(), before);
}

TEST_F(VswitchOps, BridgeVlansAreAddedAndRemoved) {
  ok("createBridge", "net1", {{"name", "br0"}, {"nic", "eth9"}});
  ok("setBridgeVlan", "net1", {{"name", "br0"}, {"vlan", 20}});
  EXPECT_EQ(ovs_->vsctl({"br-to-vlan", "br0-20"}), "20");
  const std::string before = ovs_->dump();
  auto wrong = run("delBridgeVlan", "net1", {{"name", "br0"}, {"vlan", 30}});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, util::ErrorCode::NotFound);
  auto unknown = run("setBridgeVlan", "net1", {{"name", "nosuch"}, {"vlan", 30}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message, HasSubstr("'nosuch'"));
  EXPECT_EQ(ovs_->dump(), before);
  ok("delBridgeVlan", "net1", {{"name", "br0"}, {"vlan", 20}});
  EXPECT_EQ(ovs_->vsctl({"list-br"}), "br0");
}

TEST_F(VswitchOps, DeleteBridgeRemovesItsPorts) {
  ok("createBridge", "net1", {{"name", "br0"}, {"nic", "eth9"}, {"vlan", "10"}});
  auto deleted = ok("deleteBridge", "net1", {{"name", "br0"}, {"nic", "eth9"}});
  EXPECT_EQ(deleted["deleted"], true);
  EXPECT_EQ(ovs_->vsctl({"list-br"}), "");
  EXPECT_EQ(ovs_->vsctl({"--bare", "--columns=name", "list", "Port"}), "");
  auto again = run("deleteBridge", "net1", {{"name", "br0"}});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::NotFound);
}

TEST_F(VswitchOps, BindPortVlanTagsTheVmPort) {
  ok("createBridge", "br0", {{"name", "br0"}, {"nic", "eth9"}});
  // The port libvirt makes for <interface type='bridge'><virtualport type='openvswitch'/>.
  ovs_->vsctl({"add-port", "br0", "vnet0", "--", "set", "Interface", "vnet0",
               "external_ids:attached-mac=\"52:54:00:00:00:07\""});
  auto spec = ok("bindPortVlan", "br0", {{"mac", "52:54:00:00:00:07"}, {"vlan", "100"}});
  EXPECT_EQ(ovs_->vsctl({"get", "Port", "vnet0", "tag"}), "100");
  EXPECT_EQ(spec["type"], "l2network");
  bool tagged = false;
  for (const auto& port : spec["data"]["bridgeInfo"]["ports"]) {
    tagged = tagged || (port["name"] == "vnet0" && port["vlan"] == "100");
  }
  EXPECT_TRUE(tagged) << spec.dump();

  const std::string before = ovs_->dump();
  auto bad = run("bindPortVlan", "br0", {{"mac", "52:54:00:00:00:07"}, {"vlan", "0"}});
  ASSERT_FALSE(bad.has_value());
  auto unknown = run("bindPortVlan", "br0", {{"mac", "52:54:00:00:00:08"}, {"vlan", "5"}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message, HasSubstr("'52:54:00:00:00:08'"));
  EXPECT_EQ(ovs_->dump(), before);

  ok("unbindPortVlan", "br0", {{"mac", "52:54:00:00:00:07"}});
  EXPECT_EQ(ovs_->vsctl({"get", "Port", "vnet0", "tag"}), "[]");
}

TEST_F(VswitchOps, SwitchUplinkIsMappedToTheBridgeAndUnmappedOnDelete) {
  ok("createBridge", "br-ex", {{"name", "br-ex"}, {"nic", "eth9"}});
  ovs_->vsctl({"set", "Open_vSwitch", ".", "external_ids:ovn-bridge-mappings=physnet:br-phys"});
  ok("createSwitch", "sw1",
     {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}, {"bridge", "br-ex"}, {"vlanId", 100}});
  const std::string localnet = "to-sw1-router-port-node1-localnet";
  EXPECT_EQ(nb_->nbctl({"lsp-get-type", localnet}), "localnet");
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", localnet, "tag"}), "100");
  const std::string network =
      nb_->nbctl({"get", "Logical_Switch_Port", localnet, "options:network_name"});
  const std::string mappings =
      ovs_->vsctl({"get", "Open_vSwitch", ".", "external_ids:ovn-bridge-mappings"});
  EXPECT_THAT(mappings, HasSubstr(network.substr(1, network.size() - 2) + ":br-ex"));
  EXPECT_THAT(mappings, HasSubstr("physnet:br-phys"));

  ok("modifySwitch", "sw1", {{"vlanId", 200}});
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", localnet, "tag"}), "200");

  ok("deleteSwitch", "sw1", {{"bridge", "br-ex"}});
  EXPECT_EQ(ovs_->vsctl({"get", "Open_vSwitch", ".", "external_ids:ovn-bridge-mappings"}),
            "\"physnet:br-phys\"");
}

TEST_F(VswitchOps, SwitchUplinkNeedsAnExistingBridgeDatabase) {
  deps_.ovs_db = "";
  const std::string before = nb_->dump();
  auto result = run("createSwitch", "sw1",
                    {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}, {"bridge", "br-ex"}});
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.error().message, HasSubstr("--ovs-db"));
  EXPECT_EQ(nb_->dump(), before);
}

}  // namespace
}  // namespace univirt::ovnctl::testing
