#include "sdsctl/mounts.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class Mounts : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "univirt-mounts.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    mountinfo_ = (dir_ / "mountinfo").string();
    // Captured shape of /proc/self/mountinfo lines (proc(5)); the space in a mount point is
    // escaped as \040.
    std::ofstream(mountinfo_)
        << "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
           "40 22 0:40 / /var/lib/libvirt/cephfs rw,relatime shared:20 - ceph "
           "10.0.0.1:6789:/ rw,name=admin\n"
           "41 22 0:41 / /mnt/nfs\\040share rw - nfs4 srv:/export rw\n"
           "42 22 0:42 / /mnt/stand-in rw - tmpfs tmpfs rw\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string mountinfo_;
};

TEST_F(Mounts, FindsTheInnermostMount) {
  EXPECT_EQ(mountOf("/var/lib/libvirt/cephfs/pool", mountinfo_)->fs_type, "ceph");
  EXPECT_EQ(mountOf("/var/lib/libvirt", mountinfo_)->fs_type, "ext4");
  EXPECT_EQ(mountOf("/mnt/nfs share", mountinfo_)->mount_point, "/mnt/nfs share");
}

TEST_F(Mounts, AcceptsAMountPointOfAnAllowedType) {
  EXPECT_TRUE(
      checkMounted("/var/lib/libvirt/cephfs", {"ceph"}, "cephfs", "p", mountinfo_).has_value());
  EXPECT_TRUE(checkMounted("/mnt/nfs share", {"nfs", "nfs4"}, "nfs", "p", mountinfo_).has_value());
}

TEST_F(Mounts, RefusesAPlainDirectory) {
  auto checked = checkMounted("/var/lib/libvirt/ljx", {"ceph"}, "cephfs", "ljx", mountinfo_);
  ASSERT_FALSE(checked.has_value());
  EXPECT_THAT(checked.error().message, HasSubstr("plain directory"));
  EXPECT_THAT(checked.error().message, HasSubstr("never mounts"));
}

TEST_F(Mounts, RefusesAMountOfAnotherType) {
  auto checked = checkMounted("/mnt/stand-in", {"nfs", "nfs4"}, "nfs", "p", mountinfo_);
  ASSERT_FALSE(checked.has_value());
  EXPECT_THAT(checked.error().message, HasSubstr("a 'tmpfs' mount"));
  EXPECT_TRUE(checkMounted("/mnt/stand-in", {"tmpfs"}, "nfs", "p", mountinfo_).has_value());
}

TEST(MountsOfThisProcess, RootIsMounted) {
  auto root = mountOf("/");
  ASSERT_TRUE(root.has_value()) << root.error().message;
  EXPECT_EQ(root->mount_point, "/");
}

}  // namespace
}  // namespace univirt::sdsctl
