// GPU discovery (crd-contract.md §5.3) from a fake sysfs tree: one VirtualMachineGPU per
// device, updated on bind/unbind (inotify on the fake tree), deleted when the device goes.

#include "virtlet/gpu_sync.h"

#include <fstream>

#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::waitFor;

constexpr const char* kUri = "test:///default";
constexpr const char* kNode = "gpu-node";
constexpr const char* kAddress = "0000:3b:00.0";
constexpr const char* kName = "host-gpu-node-type-10de-2684-id-0000-3b-00-0";

class GpuSyncTest : public testing::VirtletTest {
 protected:
  void SetUp() override {
    VirtletTest::SetUp();
    sysfs_ = dir_ / "sys";
    auto connection = virt::Connection::open(kUri);
    ASSERT_TRUE(connection.has_value());
    connection_ = std::make_shared<virt::Connection>(std::move(*connection));
  }
  void TearDown() override {
    if (sync_) {
      sync_->stop();
    }
    VirtletTest::TearDown();
  }
  void startSync() {
    sync_ = std::make_unique<GpuSync>(
        *daemon_client_,
        [this] { return util::Result<std::shared_ptr<virt::Connection>>(connection_); },
        GpuSyncOptions{.node_name = kNode,
                       .home_namespace = ns_,
                       .sysfs_root = sysfs_.string(),
                       .vendors = {"0x10de"},
                       .rescan = 1h},
        util::Clock::real());
    ASSERT_TRUE(sync_->start().has_value());
  }
  void addGpu() {
    const fs::path dir = sysfs_ / "bus/pci/devices" / kAddress;
    fs::create_directories(dir);
    std::ofstream(dir / "vendor") << "0x10de\n";
    std::ofstream(dir / "class") << "0x030000\n";
    std::ofstream(dir / "device") << "0x2684\n";
    fs::create_directories(sysfs_ / "kernel/iommu_groups/12");
    fs::create_directory_symlink(sysfs_ / "kernel/iommu_groups/12", dir / "iommu_group");
    fs::create_directories(sysfs_ / "bus/pci/drivers/nvidia");
    fs::create_directories(sysfs_ / "bus/pci/drivers/vfio-pci");
    bind("nvidia");
  }
  // What the kernel shows on a bind: the device's driver link and the driver's device link.
  void bind(const std::string& driver) {
    const fs::path device = sysfs_ / "bus/pci/devices" / kAddress;
    fs::remove(device / "driver");
    for (const char* other : {"nvidia", "vfio-pci"}) {
      fs::remove(sysfs_ / "bus/pci/drivers" / other / kAddress);
    }
    fs::create_directory_symlink(sysfs_ / "bus/pci/drivers" / driver, device / "driver");
    fs::create_directory_symlink(device, sysfs_ / "bus/pci/drivers" / driver / kAddress);
  }
  nlohmann::json gpu() const { return get(kGpus, kName); }

  fs::path sysfs_;
  std::shared_ptr<virt::Connection> connection_;
  std::unique_ptr<GpuSync> sync_;
};

TEST_F(GpuSyncTest, OneObjectPerGpuUpdatedOnBindAndUnbind) {
  addGpu();
  startSync();
  ASSERT_TRUE(waitFor([&] { return !gpu().is_null(); }));
  auto object = gpu();
  EXPECT_EQ(object["metadata"]["labels"]["host"], kNode);
  EXPECT_EQ(object["spec"]["nodeName"], kNode);
  EXPECT_EQ(object["spec"]["gpu"]["id"], "3b:00.0");
  EXPECT_EQ(object["spec"]["gpu"]["kernelDriverInUse"], "nvidia");
  EXPECT_EQ(object["spec"]["gpu"]["useMode"], "share");
  EXPECT_EQ(object["spec"]["gpu"]["iommuGroup"], "12");
  EXPECT_EQ(object["spec"]["gpu"]["inUse"], "free");

  bind("vfio-pci");  // no rescan period passes: inotify on the drivers' directories
  ASSERT_TRUE(waitFor([&] { return gpu()["spec"]["gpu"]["useMode"] == "passthrough"; }));
  EXPECT_EQ(gpu()["spec"]["gpu"]["kernelDriverInUse"], "vfio-pci");
  bind("nvidia");
  ASSERT_TRUE(waitFor([&] { return gpu()["spec"]["gpu"]["useMode"] == "share"; }));
}

TEST_F(GpuSyncTest, AGoneDeviceLosesItsObject) {
  addGpu();
  startSync();
  ASSERT_TRUE(waitFor([&] { return !gpu().is_null(); }));
  fs::remove_all(sysfs_ / "bus/pci/devices" / kAddress);
  ASSERT_TRUE(waitFor([&] { return gpu().is_null(); }));
}

TEST_F(GpuSyncTest, AMissingSysfsTreeIsLoggedOnceAndNotFatal) {
  startSync();
  ASSERT_TRUE(waitFor([&] { return sync_->scans() >= 1; }));
  sync_->poke();
  ASSERT_TRUE(waitFor([&] { return sync_->scans() >= 2; }));
  EXPECT_EQ(sync_->skipped(), 1U);
  EXPECT_EQ(sync_->writes(), 0U);
}

TEST_F(GpuSyncTest, NothingIsWrittenWhenNothingChanged) {
  addGpu();
  startSync();
  ASSERT_TRUE(waitFor([&] { return sync_->writes() == 1; }));
  const std::size_t scans = sync_->scans();
  sync_->poke();
  ASSERT_TRUE(waitFor([&] { return sync_->scans() > scans; }));
  EXPECT_EQ(sync_->writes(), 1U);
}

}  // namespace
}  // namespace univirt::virtlet
