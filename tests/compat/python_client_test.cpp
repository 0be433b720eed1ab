// The official Python client (Debian python3-kubernetes 22.6) against kube-lite.

#include <gtest/gtest.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

ProcessResult runScenario(const KubeLiteProcess& server, const std::string& scenario) {
  return runProcess({"/usr/bin/python3",
                     std::string(UNIVIRT_SOURCE_DIR) + "/tests/compat/python/custom_objects.py",
                     server.kubeconfig(), scenario},
                    {{"HOME", server.dir()}});
}

class PythonClient : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonClient, Scenario) {
  KubeLiteOptions options;
  options.bookmark_interval_seconds = 0.3;
  options.watch_history = 5;
  if (GetParam() == "namespaces") {
    options.kubeconfig_auth = "cert";  // what older SDKs and uniVirt's Python client send
  }
  KubeLiteProcess server(options);
  ASSERT_TRUE(server.start()) << server.lastError();
  KubeHttp http(server, HttpAuth{server.token(), "", ""});
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  auto result = runScenario(server, GetParam());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("ok"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(CustomObjectsApi, PythonClient,
                         ::testing::Values("crud", "watch", "expired", "namespaces"));

}  // namespace
}  // namespace univirt::testing
