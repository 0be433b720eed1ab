// The shipped binary: --help, and a run against kube-lite with the test driver and fake trees,
// checked from outside (the Node's status, a GPU object) until SIGTERM.

#include <csignal>
#include <fstream>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/kube_lite/subprocess.h"
#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

using testing::waitFor;

const std::string kBinary = std::string(UNIVIRT_BINARY_DIR) + "/daemons/virtlet/univirt-virtlet";

class VirtletBinaryTest : public testing::VirtletTest {};

TEST_F(VirtletBinaryTest, HelpListsItsOptions) {
  auto result = univirt::testing::runProcess({kBinary, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--sysfs-root", "--qemu-config-dir", "--vm-capacity",
                             "--heartbeat-period", "--pool-lease-duration", "19991"}) {
    EXPECT_NE(result.out.find(option), std::string::npos) << option;
  }
}

TEST_F(VirtletBinaryTest, RunsAgainstTheApiServerAndReportsTheNode) {
  const std::string node = fmt::format("bin-node-{}", ::getpid());
  ASSERT_TRUE(client_
                  ->create(kNodes, {{"apiVersion", "v1"},
                                    {"kind", "Node"},
                                    {"metadata", {{"name", node}, {"labels", {{"nodeHA", "x"}}}}}})
                  .has_value());
  univirt::testing::BackgroundProcess daemon;
  const std::string err_path = (dir_ / "virtlet.err").string();
  ASSERT_TRUE(
      daemon.start({kBinary, "--kubeconfig", server_->kubeconfig(), "--node-name", node,
                    "--namespace", ns_, "--libvirt-uri", "test:///default", "--qemu-config-dir",
                    (dir_ / "qemu").string(), "--sysfs-root", (dir_ / "no-sys").string(),
                    "--lock-file", "", "--health-address", "127.0.0.1:0", "--vm-capacity", "12"},
                   {}, (dir_ / "virtlet.out").string(), err_path));
  ASSERT_TRUE(waitFor(
      [&] {
        const auto object = get(kNodes, node);
        const auto pointer = nlohmann::json::json_pointer("/status/capacity/doslab.io~1vms");
        return object.is_object() && object.contains(pointer) && object[pointer] == "12";
      },
      std::chrono::seconds(20)))
      << univirt::testing::readWholeFile(err_path);
  EXPECT_FALSE(get(kNodes, node)["metadata"]["labels"].contains("nodeHA"));
  const int status = daemon.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << univirt::testing::readWholeFile(err_path);
}

}  // namespace
}  // namespace univirt::virtlet
