// The VirtualMachineDisk link (upstream: .spec.volume.vm of the disk a VM uses), against a real
// kube-lite with the univirt CRDs, and libvirt's test driver for the domain.

#include <filesystem>

#include <gtest/gtest.h>

#include "core/kube/client.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/virtctl/vm_harness.h"

namespace univirt::virtctl::testing {
namespace {

const kube::ResourceRef kDisks{
    .group = "doslab.io", .version = "v1", .resource = "virtualmachinedisks", .namespaced = true};

class VmDiskLink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    const std::string crd = std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/crds.yaml";
    const univirt::testing::ProcessResult applied = server_.kubectl({"apply", "-f", crd});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    const univirt::testing::ProcessResult established = server_.kubectl(
        {"wait", "--for=condition=Established", "crd", "-l", "doslab.io", "--timeout=30s"});
    ASSERT_EQ(established.exit_code, 0) << established.err;
    auto client = kube::testing::clientFor(server_);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
    harness_.deps().client = client_.get();
  }

  // A disk in the pool layout <pool>/<disk>/<disk>, and its VirtualMachineDisk.
  std::string makeDisk(const std::string& name) {
    std::filesystem::create_directories(harness_.dir() / name);
    std::string path = harness_.makeFile(name + "/" + name);
    auto created = client_->create(
        kDisks, {{"apiVersion", "doslab.io/v1"},
                 {"kind", "VirtualMachineDisk"},
                 {"metadata", {{"name", name}, {"namespace", "default"}}},
                 {"spec", {{"volume", {{"current", path}, {"pool", "p"}, {"vm", ""}}}}}});
    EXPECT_TRUE(created) << created.error().message;
    return path;
  }
  std::string diskUser(const std::string& name) {
    auto disk = client_->get(kDisks, {.namespace_name = "default", .name = name});
    EXPECT_TRUE(disk) << disk.error().message;
    return disk ? disk->value("/spec/volume/vm"_json_pointer, std::string("?")) : "?";
  }

  univirt::testing::KubeLiteProcess server_;
  std::unique_ptr<kube::Client> client_;
  VmHarness harness_{"test:///default"};
};

TEST_F(VmDiskLink, CreateAndStartRecordsTheVmInItsDisk) {
  const std::string path = makeDisk("linkdisk");
  auto outcome = harness_.run("createAndStartVMFromISO", "link-vm",
                              {{"memory", "128"}, {"disk", path + ",format=qcow2"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(diskUser("linkdisk"), "link-vm");
}

TEST_F(VmDiskLink, ADiskWithoutVirtualMachineDiskDoesNotFailTheOperation) {
  auto outcome = harness_.run("createAndStartVMFromISO", "unlinked-vm",
                              {{"memory", "128"}, {"disk", harness_.makeFile("loose.qcow2")}});
  ASSERT_TRUE(outcome) << outcome.error().message;
}

}  // namespace
}  // namespace univirt::virtctl::testing
