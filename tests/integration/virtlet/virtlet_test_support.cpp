#include "integration/virtlet/virtlet_test_support.h"

#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>

namespace univirt::virtlet::testing {

univirt::testing::KubeLiteProcess* VirtletTest::server_ = nullptr;

void VirtletTest::SetUpTestSuite() {
  server_ = new univirt::testing::KubeLiteProcess();
  ASSERT_TRUE(server_->start()) << server_->lastError();
  auto applied = server_->kubectl(
      {"apply", "-f", std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/crds.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto waited = server_->kubectl(
      {"wait", "--for=condition=Established", "--timeout=30s", "crd/virtualmachines.doslab.io",
       "crd/virtualmachinediskimages.doslab.io", "crd/virtualmachinegpus.doslab.io"});
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
}

void VirtletTest::TearDownTestSuite() {
  delete server_;
  server_ = nullptr;
}

void VirtletTest::SetUp() {
  ASSERT_NE(server_, nullptr);
  std::string pattern = (std::filesystem::temp_directory_path() / "virtlet-it.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  static int counter = 0;
  ns_ = fmt::format("vlet-{}-{}", ::getpid(), ++counter);
  ASSERT_EQ(server_->kubectl({"create", "namespace", ns_}).exit_code, 0);
  auto client = kube::testing::clientFor(*server_);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  client_ = std::move(*client);
  auto daemon_client = kube::testing::daemonClientFor(*server_, "virtlet");
  ASSERT_TRUE(daemon_client.has_value()) << daemon_client.error().message;
  daemon_client_ = std::move(*daemon_client);
}

void VirtletTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

nlohmann::json VirtletTest::get(const kube::ResourceRef& ref, const std::string& name) const {
  auto object = client_->get(ref, kube::ObjectKey{ref.namespaced ? ns_ : "", name});
  return object ? *object : nlohmann::json();
}

}  // namespace univirt::virtlet::testing
