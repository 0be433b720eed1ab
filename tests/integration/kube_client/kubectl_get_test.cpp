// univirt-kubectl-get (daemons/tools/kubectl_get) against a real kube-lite process: the
// VirtualMachine CRD and a VM are created with the real kubectl, then the built binary runs
// with an argument vector and its output is checked.

#include <csignal>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using univirt::testing::KubeLiteProcess;

std::string toolPath() {
  return std::string(UNIVIRT_BINARY_DIR) + "/daemons/tools/kubectl_get/univirt-kubectl-get";
}

class KubectlGet : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    auto crd = server_.kubectl(
        {"create", "-f", univirt::testing::kubeLiteFixture("virtualmachine-crd.yaml")});
    ASSERT_EQ(crd.exit_code, 0) << crd.err;
    auto established = server_.kubectl(
        {"wait", "--for=condition=Established", "--timeout=20s", "crd/virtualmachines.doslab.io"});
    ASSERT_EQ(established.exit_code, 0) << established.err;
    auto vm = server_.kubectl({"create", "-f", univirt::testing::kubeLiteFixture("vm1.yaml")});
    ASSERT_EQ(vm.exit_code, 0) << vm.err;
  }

  std::vector<std::string> tool(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {toolPath(), "--kubeconfig", server_.kubeconfig()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  KubeLiteProcess server_;
};

TEST_F(KubectlGet, ListsTheVirtualMachineWithItsPowerstate) {
  auto result = univirt::testing::runProcess(tool({"virtualmachines.doslab.io"}));

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("NAME"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex("vm1 +default +Running"));
}

TEST_F(KubectlGet, ShorthandAndAllNamespacesListTheSameVm) {
  auto result = univirt::testing::runProcess(tool({"-A", "vm"}));

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, ::testing::ContainsRegex("vm1 +default +Running"));
}

TEST_F(KubectlGet, OtherNamespaceDoesNotListTheVm) {
  auto result = univirt::testing::runProcess(tool({"-n", "kube-system", "vm"}));

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("vm1")));
}

TEST_F(KubectlGet, UsageErrorsExitWithTwo) {
  EXPECT_EQ(univirt::testing::runProcess({toolPath()}).exit_code, 2);
  EXPECT_EQ(univirt::testing::runProcess({toolPath(), "--bogus", "vm"}).exit_code, 2);
  EXPECT_EQ(univirt::testing::runProcess({toolPath(), "-n", "x", "-A", "vm"}).exit_code, 2);
  auto help = univirt::testing::runProcess({toolPath(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: univirt-kubectl-get"));
}

TEST_F(KubectlGet, WatchPrintsALaterChangeAndExitsCleanlyOnSigterm) {
  std::string out_path = server_.dir() + "/kubectl-get.out";
  std::string err_path = server_.dir() + "/kubectl-get.err";
  univirt::testing::BackgroundProcess watcher;
  ASSERT_TRUE(watcher.start(tool({"-w", "vm"}), {}, out_path, err_path));
  ASSERT_TRUE(univirt::testing::waitForFileContaining(err_path, "(synced)", 20s))
      << univirt::testing::readWholeFile(err_path);
  EXPECT_THAT(univirt::testing::readWholeFile(out_path),
              ::testing::ContainsRegex("vm1 +default +Running"));

  auto patch = server_.kubectl({"patch", "virtualmachines.doslab.io", "vm1", "--type=merge", "-p",
                                R"({"spec":{"powerstate":"Shutdown"}})"});
  ASSERT_EQ(patch.exit_code, 0) << patch.err;

  EXPECT_TRUE(univirt::testing::waitForFileContaining(out_path, "Shutdown", 20s))
      << univirt::testing::readWholeFile(out_path);
  EXPECT_THAT(univirt::testing::readWholeFile(out_path),
              ::testing::ContainsRegex("MODIFIED +vm1 +default +Shutdown"));
  int status = watcher.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace univirt::kube
