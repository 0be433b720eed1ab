#include "ovnctl/network_operations.h"

#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::ovnctl {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> contractKeys() {
  std::ifstream in(UNIVIRT_SOURCE_DIR "/tests/fixtures/ovnctl/upstream-network-operations.txt");
  std::vector<std::string> keys;
  std::string line;
  std::getline(in, line);
  EXPECT_THAT(line, HasSubstr("crd-contract.md")) << "the fixture's first line names its source";
  while (std::getline(in, line)) {
    if (!line.empty()) {
      keys.push_back(line);
    }
  }
  return keys;
}

class NetworkTable : public ::testing::Test {
 protected:
  void SetUp() override { addNetworkOperations(table_, deps_); }
  NetworkOperationDeps deps_;
  lifecycle::OperationTable table_;
};

TEST_F(NetworkTable, CoversEveryContractKey) {
  const auto keys = contractKeys();
  ASSERT_EQ(keys.size(), 22u);
  for (const auto& key : keys) {
    const auto* operation = table_.find(kNetworkKind, key);
    ASSERT_NE(operation, nullptr) << key;
    EXPECT_TRUE(operation->handler) << key;
  }
  // The corrected spelling is accepted too.
  EXPECT_NE(table_.find(kNetworkKind, "modifySwitch"), nullptr);
  EXPECT_EQ(table_.operationsOf(kNetworkKind).size(), keys.size() + 1);
}

TEST_F(NetworkTable, NameFieldsAndRefreshesFollowTheContract) {
  const std::map<std::string, std::string> name_fields = {
      {"bindPortVlan", "name"},     {"createSwitch", "name"},   {"modidySwitch", "name"},
      {"deleteSwitch", "name"},     {"createAddress", "name"},  {"deleteAddress", "name"},
      {"bindFloatingIP", "domain"}, {"addACL", "domain"},       {"setQoS", "domain"},
      {"createBridge", "domain"},   {"deleteBridge", "domain"}, {"setBridgeVlan", "domain"},
      {"bindSwPort", "switch"},     {"unbindSwPort", "switch"}};
  for (const auto& [key, field] : name_fields) {
    EXPECT_EQ(table_.find(kNetworkKind, key)->name_field, field) << key;
  }
  // delete_network: the object is removed, nothing is read back.
  for (const char* key : {"deleteSwitch", "deleteAddress", "deleteBridge"}) {
    EXPECT_FALSE(table_.find(kNetworkKind, key)->refresh) << key;
  }
  for (const char* key :
       {"createSwitch", "bindSwPort", "addACL", "bindPortVlan", "setBridgeVlan"}) {
    EXPECT_TRUE(table_.find(kNetworkKind, key)->refresh) << key;
  }
}

TEST_F(NetworkTable, ValidatesVlanAndRequiredParametersBeforeAnyHandler) {
  auto bad_vlan =
      table_.validate(kNetworkKind, "br0",
                      {{"bindPortVlan", {{"mac", "52:54:00:00:00:01"}, {"vlan", "4095"}}}}, {});
  ASSERT_FALSE(bad_vlan.has_value());
  EXPECT_THAT(bad_vlan.error().message, HasSubstr("vlan"));
  auto missing =
      table_.validate(kNetworkKind, "sw1", {{"createSwitch", nlohmann::json::object()}}, {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, HasSubstr("subnet"));
  auto wrong_type = table_.validate(kNetworkKind, "vm1",
                                    {{"addACL",
                                      {{"swName", "s"},
                                       {"vmmac", "52:54:00:00:00:01"},
                                       {"type", "in"},
                                       {"rule", "ip4"},
                                       {"operator", "allow"}}}},
                                    {});
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_THAT(wrong_type.error().message, HasSubstr("type"));
  auto good = table_.validate(
      kNetworkKind, "sw1", {{"createSwitch", {{"subnet", "10.0.0.0/24"}, {"vlanId", "100"}}}}, {});
  ASSERT_TRUE(good.has_value()) << good.error().message;
  EXPECT_EQ(good->params.string("name"), "sw1");
  EXPECT_EQ(good->params.integer("vlanId"), 100);
}

TEST(UpstreamCommand, NamesKubeovnAdmSubcommands) {
  EXPECT_EQ(upstreamCommand("createSwitch"), "create-switch");
  EXPECT_EQ(upstreamCommand("deprecatedACL"), "delete-acl");
  EXPECT_EQ(upstreamCommand("bindFloatingIP"), "bind-fip");
  EXPECT_EQ(upstreamCommand("bindPortVlan"), "bindport-vlan");
  EXPECT_EQ(upstreamCommand("modidySwitch"), "");
}

TEST(NetworkConfigOptions, DefaultToTheLocalSockets) {
  const auto options = networkConfigOptions();
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options[0].flag, "--ovn-nb");
  EXPECT_EQ(options[0].default_value, "unix:/var/run/ovn/ovnnb_db.sock");
  EXPECT_EQ(options[1].flag, "--ovs-db");
}

}  // namespace
}  // namespace univirt::ovnctl
