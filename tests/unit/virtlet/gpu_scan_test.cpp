#include "virtlet/gpu_scan.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "virtlet/image_sync.h"
#include "virtlet/pool_lease.h"

namespace univirt::virtlet {
namespace {

namespace fs = std::filesystem;

class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "virtlet-sysfs.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }
  void addDevice(const std::string& address, const std::string& vendor, const std::string& cls,
                 const std::string& driver, const std::string& group) {
    const fs::path dir = root_ / "bus/pci/devices" / address;
    fs::create_directories(dir);
    std::ofstream(dir / "vendor") << vendor << "\n";
    std::ofstream(dir / "class") << cls << "\n";
    std::ofstream(dir / "device") << "0x2684\n";
    if (!driver.empty()) {
      fs::create_directories(root_ / "bus/pci/drivers" / driver);
      fs::create_directory_symlink(root_ / "bus/pci/drivers" / driver, dir / "driver");
    }
    if (!group.empty()) {
      fs::create_directories(root_ / "kernel/iommu_groups" / group);
      fs::create_directory_symlink(root_ / "kernel/iommu_groups" / group, dir / "iommu_group");
    }
  }
  fs::path root_;
};

TEST_F(FakeSysfs, FindsDisplayControllersOfConfiguredVendorsOnly) {
  addDevice("0000:3b:00.0", "0x10de", "0x030000", "nvidia", "12");
  addDevice("0000:3b:00.1", "0x10de", "0x040300", "snd_hda_intel", "12");  // its audio function
  addDevice("0000:00:02.0", "0x8086", "0x030000", "i915", "");             // not a listed vendor
  addDevice("0000:af:00.0", "0x10DE", "0x030200", "", "");                 // unbound 3D controller
  auto gpus = scanGpus(root_.string(), parseVendors("0x10de"));
  ASSERT_TRUE(gpus.has_value()) << gpus.error().message;
  ASSERT_EQ(gpus->size(), 2U);
  EXPECT_EQ((*gpus)[0].address, "0000:3b:00.0");
  EXPECT_EQ((*gpus)[0].driver, "nvidia");
  EXPECT_EQ((*gpus)[0].iommu_group, "12");
  EXPECT_EQ((*gpus)[1].address, "0000:af:00.0");
  EXPECT_EQ((*gpus)[1].driver, "");
  EXPECT_EQ((*gpus)[1].vendor, "0x10de");
}

TEST_F(FakeSysfs, MissingTreeIsNotFoundNamingTheOption) {
  auto gpus = scanGpus((root_ / "nothing").string(), parseVendors("10de"));
  ASSERT_FALSE(gpus.has_value());
  EXPECT_EQ(gpus.error().code, util::ErrorCode::NotFound);
  EXPECT_NE(gpus.error().message.find("--sysfs-root"), std::string::npos);
}

TEST(GpuSpec, UseModeFollowsTheDriver) {
  GpuDevice gpu{.address = "0000:3b:00.0",
                .vendor = "0x10de",
                .device = "0x2684",
                .pci_class = "0x030000",
                .driver = "vfio-pci"};
  auto spec = gpuSpec(gpu, "node1", "vm1");
  EXPECT_EQ(spec["gpu"]["useMode"], "passthrough");
  EXPECT_EQ(spec["gpu"]["id"], "3b:00.0");
  EXPECT_EQ(spec["gpu"]["inUse"], "vm1");
  EXPECT_EQ(spec["gpu"]["iommuGroup"], "unknown");
  EXPECT_EQ(spec["nodeName"], "node1");
  gpu.driver = "nvidia";
  EXPECT_EQ(gpuSpec(gpu, "node1", "free")["gpu"]["useMode"], "share");
  EXPECT_EQ(gpuObjectName("node1", gpu), "host-node1-type-10de-2684-id-0000-3b-00-0");
}

TEST(ObjectNames, FileAndPoolNamesBecomeValidNames) {
  EXPECT_TRUE(isValidObjectName("centos7.qcow2"));
  EXPECT_FALSE(isValidObjectName("CentOS_7.qcow2"));
  EXPECT_FALSE(isValidObjectName(".hidden"));
  EXPECT_EQ(poolLeaseName("Pool_A"), "univirt-pool-pool-a");
}

}  // namespace
}  // namespace univirt::virtlet
