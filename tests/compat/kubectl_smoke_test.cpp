// A short smoke set for the other kubectl binaries the dispatcher picks by the reported minor.

#include <regex>

#include <gtest/gtest.h>
#include <signal.h>

#include "integration/kube_lite/kube_lite_process.h"

namespace univirt::testing {
namespace {

using std::chrono::seconds;

class KubectlSmoke : public ::testing::TestWithParam<std::string> {};

TEST_P(KubectlSmoke, ApplyGetWideWatchDelete) {
  KubeLiteOptions options;
  options.minor = GetParam();
  KubeLiteProcess server(options);
  ASSERT_TRUE(server.start()) << server.lastError();
  auto version = server.kubectl({"version"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("v1." + GetParam() + ".0-kubelite"), std::string::npos);
  for (const char* fixture : {"virtualmachine-crd.yaml", "vm1.yaml"}) {
    // Default validation: 1.27 reads /openapi/v2 (protobuf), 1.28+ /openapi/v3.
    auto applied = server.kubectl({"apply", "-f", kubeLiteFixture(fixture)});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  }
  auto wide = server.kubectl({"get", "vm", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_TRUE(std::regex_search(wide.out, std::regex(R"(vm1\s+Running\s+\d+s\s+node1)")))
      << wide.out;
  BackgroundProcess watcher;
  std::string out = server.dir() + "/watch.out";
  ASSERT_TRUE(watcher.start(server.kubectlArgv({"get", "vm", "-w"}), {{"HOME", server.dir()}}, out,
                            server.dir() + "/watch.err"));
  ASSERT_TRUE(waitForFileContaining(out, "Running", seconds(20)));
  auto patched = server.kubectl(
      {"patch", "vm", "vm1", "--type", "merge", "-p", R"({"spec":{"powerstate":"Paused"}})"});
  ASSERT_EQ(patched.exit_code, 0) << patched.err;
  EXPECT_TRUE(waitForFileContaining(out, "Paused", seconds(20)));
  watcher.stop(SIGTERM);
  auto deleted = server.kubectl({"delete", "vm", "vm1"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("deleted"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Minor, KubectlSmoke, ::testing::Values("27", "30", "33"));

}  // namespace
}  // namespace univirt::testing
