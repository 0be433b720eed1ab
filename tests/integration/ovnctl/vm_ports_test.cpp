// The VM integration API (vm_ports.h): NIC bindings are found again after a restart (a new
// VmPorts on the same databases), never duplicated, and linked to the OVS interface libvirt
// made.

#include "ovnctl/vm_ports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/ovnctl/network_fixture.h"

namespace univirt::ovnctl::testing {
namespace {

using ::testing::HasSubstr;

class VmPortsTest : public NetworkTest {
 protected:
  void SetUp() override {
    NetworkTest::SetUp();
    ok("createSwitch", "sw1", {{"subnet", "10.0.0.0/24"}, {"dhcp", "10.0.0.1"}});
  }
  Northbound northbound() const {
    return Northbound(OvsdbClient(*parseEndpoint(nb_->endpoint()), "OVN_Northbound"));
  }
  Vswitch vswitch() const {
    return Vswitch(OvsdbClient(*parseEndpoint(ovs_->endpoint()), "Open_vSwitch"));
  }
};

TEST_F(VmPortsTest, RestartNeitherLosesNorDuplicatesABinding) {
  const NicBinding nic{.domain = "vm1",
                       .type = "l3bridge",
                       .switch_name = "sw1",
                       .ip = "10.0.0.20",
                       .mac = "52:54:00:12:34:56"};
  {
    const Northbound nb = northbound();
    VmPorts ports(nb, nullptr);
    auto bound = ports.bind(nic);
    ASSERT_TRUE(bound.has_value()) << bound.error().message;
    EXPECT_TRUE(bound->changed);
    EXPECT_EQ(bound->port, "vm1-525400123456");
  }
  // "After a restart": new objects, same database.
  const Northbound nb = northbound();
  VmPorts ports(nb, nullptr);
  auto recorded = ports.bindings("vm1");
  ASSERT_TRUE(recorded.has_value()) << recorded.error().message;
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_EQ(recorded->front().mac, "52:54:00:12:34:56");
  EXPECT_EQ(recorded->front().switch_name, "sw1");
  EXPECT_EQ(recorded->front().ip, "10.0.0.20");
  EXPECT_EQ(recorded->front().port, "vm1-525400123456");

  const std::string before = nb_->dump();
  auto again = ports.bind(nic);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(nb_->dump(), before);
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "external_ids:univirt-domain=vm1"}),
            "vm1-525400123456");

  auto removed = ports.unbind("52:54:00:12:34:56");
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(*removed, 1);
  auto none = ports.unbind("52:54:00:12:34:56");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "external_ids:univirt-domain=vm1"}),
            "");
}

// The way libvirtwatcher uses it: bind on every Started event, unbind on Stopped, each time from
// the endpoints alone (a fresh VmNetwork per event, as after a restart).
TEST_F(VmPortsTest, VmNetworkFromEndpointsBindsOnStartAndUnbindsOnStop) {
  const NicBinding nic{.domain = "vm9",
                       .type = "l3bridge",
                       .switch_name = "sw1",
                       .ip = "10.0.0.90",
                       .mac = "52:54:00:00:00:90"};
  for (int start = 0; start < 2; ++start) {
    auto network = VmNetwork::open(nb_->endpoint(), ovs_->endpoint());
    ASSERT_TRUE(network.has_value()) << network.error().message;
    auto bound = network->bind(nic);
    ASSERT_TRUE(bound.has_value()) << bound.error().message;
    EXPECT_EQ(bound->changed, start == 0);
  }
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "external_ids:univirt-domain=vm9"}),
            "vm9-525400000090");
  auto network = VmNetwork::open(nb_->endpoint(), "");
  ASSERT_TRUE(network.has_value());
  auto removed = network->unbind("52:54:00:00:00:90");
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(VmNetwork::open("nb.sock", "").has_value());
}

TEST_F(VmPortsTest, MovingANicToAnotherSwitchLeavesOnePort) {
  ok("createSwitch", "sw2", {{"subnet", "10.2.0.0/24"}});
  const Northbound nb = northbound();
  VmPorts ports(nb, nullptr);
  NicBinding nic{
      .domain = "vm1", .type = "l3bridge", .switch_name = "sw1", .mac = "52:54:00:00:00:31"};
  ASSERT_TRUE(ports.bind(nic).has_value());
  nic.switch_name = "sw2";
  auto moved = ports.bind(nic);
  ASSERT_TRUE(moved.has_value()) << moved.error().message;
  EXPECT_TRUE(moved->changed);
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}).find("vm1-"), std::string::npos);
  EXPECT_THAT(nb_->nbctl({"lsp-list", "sw2"}), HasSubstr("(vm1-525400000031)"));
}

TEST_F(VmPortsTest, UpstreamPortsAreReplacedAndUnbound) {
  // A port kubeovn-adm made (named after libvirt's iface-id, no external_ids).
  nb_->nbctl({"lsp-add", "sw1", "3c7a1f2e-aaaa-bbbb-cccc-000000000001"});
  nb_->nbctl(
      {"lsp-set-addresses", "3c7a1f2e-aaaa-bbbb-cccc-000000000001", "52:54:00:00:00:41 10.0.0.41"});
  const Northbound nb = northbound();
  VmPorts ports(nb, nullptr);
  auto bound = ports.bind({.domain = "vm4",
                           .type = "l3bridge",
                           .switch_name = "sw1",
                           .ip = "10.0.0.41",
                           .mac = "52:54:00:00:00:41"});
  ASSERT_TRUE(bound.has_value()) << bound.error().message;
  EXPECT_EQ(nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                        "addresses=\"52:54:00:00:00:41 10.0.0.41\""}),
            "vm4-525400000041");
  nb_->nbctl({"lsp-add", "sw1", "legacy"});
  nb_->nbctl({"lsp-set-addresses", "legacy", "52:54:00:00:00:42 10.0.0.42"});
  auto removed = ports.unbind("52:54:00:00:00:42");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}).find("legacy"), std::string::npos);
}

TEST_F(VmPortsTest, PortIsNamedAfterTheOvsInterfaceIfaceId) {
  ovs_->vsctl({"add-br", "br-int"});
  ovs_->vsctl({"add-port", "br-int", "vnet1", "--", "set", "Interface", "vnet1",
               "external_ids:attached-mac=\"52:54:00:00:00:51\"",
               "external_ids:iface-id=4d2c0c3e-1111-2222-3333-444455556666"});
  ovs_->vsctl({"add-port", "br-int", "vnet2", "--", "set", "Interface", "vnet2",
               "external_ids:attached-mac=\"52:54:00:00:00:52\""});
  const Northbound nb = northbound();
  const Vswitch ovs = vswitch();
  VmPorts ports(nb, &ovs);
  auto first = ports.bind(
      {.domain = "vm5", .type = "l3bridge", .switch_name = "sw1", .mac = "52:54:00:00:00:51"});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->port, "4d2c0c3e-1111-2222-3333-444455556666");
  EXPECT_THAT(nb_->nbctl({"lsp-list", "sw1"}), HasSubstr("(4d2c0c3e-1111-2222-3333-444455556666)"));
  // No iface-id yet: the port gets univirt's name and the interface is linked to it.
  auto second = ports.bind(
      {.domain = "vm5", .type = "l3bridge", .switch_name = "sw1", .mac = "52:54:00:00:00:52"});
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->port, "vm5-525400000052");
  EXPECT_EQ(ovs_->vsctl({"get", "Interface", "vnet2", "external_ids:iface-id"}),
            "vm5-525400000052");

  // l2bridge: the VLAN tag of the port; binding twice changes nothing the second time.
  const NicBinding l2{.domain = "vm5", .type = "l2bridge", .mac = "52:54:00:00:00:52", .vlan = 42};
  auto tagged = ports.bind(l2);
  ASSERT_TRUE(tagged.has_value()) << tagged.error().message;
  EXPECT_TRUE(tagged->changed);
  EXPECT_EQ(ovs_->vsctl({"get", "Port", "vnet2", "tag"}), "42");
  auto again = ports.bind(l2);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->changed);
  auto cleared = ports.unbind("52:54:00:00:00:52", "l2bridge");
  ASSERT_TRUE(cleared.has_value());
  EXPECT_EQ(*cleared, 1);
  EXPECT_EQ(ovs_->vsctl({"get", "Port", "vnet2", "tag"}), "[]");
}

}  // namespace
}  // namespace univirt::ovnctl::testing
