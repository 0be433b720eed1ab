// Moving an undefined domain's device files (crd-contract §6 step 1), in a temporary tree.

#include "libvirtwatcher/device_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace univirt::libvirtwatcher {
namespace {

namespace fs = std::filesystem;
using ::testing::UnorderedElementsAre;

class DeviceFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "univirt-devfiles.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    devices_ = root_ / "devices";
    target_ = root_ / "tmp" / "moved";
    fs::create_directories(devices_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path root_;
  fs::path devices_;
  fs::path target_;
};

TEST(IsDeviceFileOf, TakesTheKindsVirtctlWritesAndNothingOfOtherDomains) {
  EXPECT_TRUE(isDeviceFileOf("web-disk-vda.xml", "web"));
  EXPECT_TRUE(isDeviceFileOf("web-nic-52:54:00:12:34:56.cfg", "web"));
  EXPECT_TRUE(isDeviceFileOf("web-nic-52:54:00:12:34:56.xml", "web"));
  EXPECT_TRUE(isDeviceFileOf("web-graphic.xml", "web"));
  EXPECT_FALSE(isDeviceFileOf("web-2-disk-vda.xml", "web"));  // domain web-2's
  EXPECT_FALSE(isDeviceFileOf("web2-disk-vda.xml", "web"));
  EXPECT_FALSE(isDeviceFileOf("web-notes.txt", "web"));
  EXPECT_FALSE(isDeviceFileOf("web-", "web"));
  EXPECT_FALSE(isDeviceFileOf("disk-vda.xml", ""));
}

TEST_F(DeviceFilesTest, MovesTheDomainsFilesAndLeavesEveryOtherFile) {
  write(devices_ / "vm1-disk-vda.xml", "<disk/>");
  write(devices_ / "vm1-nic-52:54:00:aa:bb:cc.cfg", "switch=s1\nip=10.0.0.5\n");
  write(devices_ / "vm1-graphic.xml", "<graphics/>");
  write(devices_ / "vm1-2-disk-vda.xml", "<disk/>");
  write(devices_ / "vm10-disk-vda.xml", "<disk/>");
  write(devices_ / "vm1-readme", "kept");
  auto moved = moveDeviceFiles("vm1", devices_, target_);
  ASSERT_TRUE(moved.has_value()) << moved.error().message;
  EXPECT_THAT(*moved, UnorderedElementsAre("vm1-disk-vda.xml", "vm1-nic-52:54:00:aa:bb:cc.cfg",
                                           "vm1-graphic.xml"));
  EXPECT_EQ(read(target_ / "vm1-nic-52:54:00:aa:bb:cc.cfg"), "switch=s1\nip=10.0.0.5\n");
  EXPECT_FALSE(fs::exists(devices_ / "vm1-disk-vda.xml"));
  EXPECT_FALSE(fs::exists(devices_ / "vm1-graphic.xml"));
  for (const char* kept : {"vm1-2-disk-vda.xml", "vm10-disk-vda.xml", "vm1-readme"}) {
    EXPECT_TRUE(fs::exists(devices_ / kept)) << kept;
  }
}

TEST_F(DeviceFilesTest, ReplacesAnOlderCopyInTheTargetAsMvDashFDoes) {
  fs::create_directories(target_);
  write(target_ / "vm1-disk-vda.xml", "old");
  write(devices_ / "vm1-disk-vda.xml", "new");
  auto moved = moveDeviceFiles("vm1", devices_, target_);
  ASSERT_TRUE(moved.has_value()) << moved.error().message;
  EXPECT_EQ(moved->size(), 1U);
  EXPECT_EQ(read(target_ / "vm1-disk-vda.xml"), "new");
}

TEST_F(DeviceFilesTest, NothingToMoveIsNoErrorAndCreatesNothing) {
  auto none = moveDeviceFiles("vm1", devices_, target_);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(fs::exists(target_));
  auto missing = moveDeviceFiles("vm1", root_ / "no-such-dir", target_);
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->empty());
}

TEST_F(DeviceFilesTest, ATargetThatCannotBeMadeIsAnErrorAndTheFilesStay) {
  write(devices_ / "vm1-disk-vda.xml", "<disk/>");
  write(root_ / "file", "in the way");
  auto moved = moveDeviceFiles("vm1", devices_, root_ / "file" / "sub");
  ASSERT_FALSE(moved.has_value());
  EXPECT_THAT(moved.error().message, ::testing::HasSubstr("vm1"));
  EXPECT_TRUE(fs::exists(devices_ / "vm1-disk-vda.xml"));
}

}  // namespace
}  // namespace univirt::libvirtwatcher
