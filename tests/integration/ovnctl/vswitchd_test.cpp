// Bridges and VLANs made by ovnctl are carried out by a real ovs-vswitchd: the userspace
// (netdev) datapath, running in a network namespace this test creates, turns the bridge and its
// VLAN fake bridge into devices in that namespace. Nothing is sent anywhere.

#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lifecycle/operation_table.h"
#include "integration/ovnctl/ovsdb_server.h"
#include "ovnctl/network_operations.h"

namespace univirt::ovnctl::testing {
namespace {

class VswitchdNetdev : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "network namespaces need root";
    }
    auto ovs = OvsdbServer::start(kVswitchSchema);
    ASSERT_TRUE(ovs.has_value()) << ovs.error().message;
    ovs_ = std::move(*ovs);
    ovs_->vsctl({"init"});
    namespace_ = fmt::format("univirt-ovnctl-{}", ::getpid());
    std::string out;
    ASSERT_TRUE(ovs_->tryRun({"ip", "netns", "add", namespace_}, &out)) << out;
    const auto dir = ovs_->dir();
    ASSERT_TRUE(ovs_->tryRun({"ip", "netns", "exec", namespace_, "ovs-vswitchd", ovs_->endpoint(),
                              "--unixctl=" + (dir / "vswitchd.ctl").string(),
                              "--pidfile=" + (dir / "vswitchd.pid").string(),
                              "--log-file=" + (dir / "vswitchd.log").string(), "--detach"},
                             &out))
        << out;
    std::ifstream(dir / "vswitchd.pid") >> vswitchd_pid_;
    deps_.northbound = "unix:/nonexistent/nb.sock";
    deps_.ovs_db = ovs_->endpoint();
    addNetworkOperations(table_, deps_);
  }

  void TearDown() override {
    if (vswitchd_pid_ > 0) {
      const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, vswitchd_pid_, 0));
      ::kill(vswitchd_pid_, SIGTERM);
      if (pidfd >= 0) {
        pollfd pfd{.fd = pidfd, .events = POLLIN, .revents = 0};
        if (::poll(&pfd, 1, 10'000) == 0) {
          ::kill(vswitchd_pid_, SIGKILL);
        }
        ::close(pidfd);
      }
    }
    if (!namespace_.empty() && ovs_) {
      ovs_->tryRun({"ip", "netns", "delete", namespace_}, nullptr);
    }
  }

  void ok(const std::string& key, const nlohmann::json& params) {
    auto request = table_.validate(kNetworkKind, "net1", {{key, params}}, {});
    ASSERT_TRUE(request.has_value()) << request.error().message;
    lifecycle::Invocation invocation{.operation = request->operation,
                                     .object = nlohmann::json::object(),
                                     .namespace_name = "default",
                                     .name = "net1",
                                     .params = request->params,
                                     .request_id = "test"};
    auto outcome = request->operation->handler(invocation);
    ASSERT_TRUE(outcome.has_value()) << key << ": " << outcome.error().message;
  }

  // ovs-vsctl without --no-wait bumps next_cfg and waits (with a deadline) until ovs-vswitchd
  // reports it applied, which includes every earlier change.
  void sync() {
    std::string out;
    ASSERT_TRUE(ovs_->tryRun(
        {"ovs-vsctl", "--db=" + ovs_->endpoint(), "--timeout=30", "set", "Open_vSwitch", ".",
         fmt::format("external_ids:univirt-test-sync={}", ++syncs_)},
        &out))
        << out;
  }

  bool deviceExists(const std::string& name) {
    return ovs_->tryRun({"ip", "-n", namespace_, "link", "show", name}, nullptr);
  }

  std::unique_ptr<OvsdbServer> ovs_;
  std::string namespace_;
  int vswitchd_pid_ = 0;
  int syncs_ = 0;
  NetworkOperationDeps deps_;
  lifecycle::OperationTable table_;
};

TEST_F(VswitchdNetdev, BridgeAndVlanFakeBridgesBecomeDevices) {
  ok("createBridge", {{"name", "br0"}, {"nic", "eth9"}, {"vlan", 10}, {"datapathType", "netdev"}});
  sync();
  EXPECT_TRUE(deviceExists("br0"));
  EXPECT_TRUE(deviceExists("br0-10"));
  EXPECT_NE(ovs_->vsctl({"get", "Interface", "br0-10", "ofport"}), "-1");

  ok("setBridgeVlan", {{"name", "br0"}, {"vlan", 20}});
  sync();
  EXPECT_TRUE(deviceExists("br0-20"));

  ok("delBridgeVlan", {{"name", "br0"}, {"vlan", 20}});
  sync();
  EXPECT_FALSE(deviceExists("br0-20"));

  ok("deleteBridge", {{"name", "br0"}});
  sync();
  EXPECT_FALSE(deviceExists("br0"));
  EXPECT_FALSE(deviceExists("br0-10"));
}

}  // namespace
}  // namespace univirt::ovnctl::testing
