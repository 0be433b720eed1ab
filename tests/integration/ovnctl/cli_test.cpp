// The univirt-ovnctl binary: --help lists every operation key of crd-contract §3.6 (the fixture
// tests/fixtures/ovnctl/upstream-network-operations.txt), and an operation run through it
// against a real ovsdb-server prints the JSON outcome and refresh.

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/util/exec.h"
#include "integration/ovnctl/ovsdb_server.h"

namespace univirt::ovnctl::testing {
namespace {

using ::testing::HasSubstr;

const std::string kBinary = UNIVIRT_BINARY_DIR "/daemons/ovnctl/univirt-ovnctl";

std::vector<std::string> fixtureKeys() {
  std::ifstream in(UNIVIRT_SOURCE_DIR "/tests/fixtures/ovnctl/upstream-network-operations.txt");
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() != '#') {
      keys.push_back(line);
    }
  }
  return keys;
}

util::ExecResult runCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = util::runProgram(argv);
  EXPECT_TRUE(result.has_value()) << result.error().message;
  return result ? *result : util::ExecResult{};
}

TEST(OvnctlCli, HelpListsEveryUpstreamNetworkOperation) {
  const auto keys = fixtureKeys();
  ASSERT_EQ(keys.size(), 22u) << "the fixture lost lines";
  auto help = runCli({"--help"});
  ASSERT_TRUE(help.succeeded()) << help.err;
  for (const auto& key : keys) {
    // Sub-commands are listed one per line as "  <key>, <kubeovn-adm name>  summary".
    EXPECT_THAT(help.out, ::testing::ContainsRegex("\n  " + key + "[ ,]")) << key << " missing";
  }
}

TEST(OvnctlCli, RunsAnOperationAndPrintsJson) {
  auto server = OvsdbServer::start(kNorthboundSchema);
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const std::string db = (*server)->endpoint();
  auto created = runCli({"--ovn-nb", db, "--ovs-db", "", "--json", "--node-name", "n1",
                         "create-switch", "--name", "sw1", "--subnet", "10.0.0.0/24"});
  ASSERT_TRUE(created.succeeded()) << created.out << created.err;
  auto json = nlohmann::json::parse(created.out);
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["operation"], "createSwitch");
  EXPECT_EQ(json["spec"]["type"], "l3network");
  EXPECT_EQ(json["spec"]["nodeName"], "n1");
  EXPECT_EQ(json["spec"]["data"]["switchInfo"]["name"], "sw1");
  EXPECT_THAT((*server)->nbctl({"ls-list"}), HasSubstr("(sw1)"));

  const std::string before = (*server)->dump();
  auto bad = runCli({"--ovn-nb", db, "--ovs-db", "", "--json", "bindSwPort", "--switch", "nosuch",
                     "--mac", "52:54:00:00:00:01"});
  EXPECT_EQ(bad.exit_code, 1);
  auto failure = nlohmann::json::parse(bad.out);
  EXPECT_EQ(failure["ok"], false);
  EXPECT_EQ(failure["error"]["code"], "NotFound");
  EXPECT_THAT(failure["error"]["message"].get<std::string>(), HasSubstr("'nosuch'"));

  auto usage = runCli({"--ovn-nb", db, "createSwitch", "--name", "sw2", "--subnet", "10.0.0.0/24",
                       "--vlanId", "4095"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("vlanId"));
  EXPECT_EQ((*server)->dump(), before);
}

}  // namespace
}  // namespace univirt::ovnctl::testing
