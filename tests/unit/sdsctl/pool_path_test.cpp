#include "sdsctl/pool_path.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PoolPath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "univirt-poolpath.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    root_ = base_ / "pool";
    fs::create_directories(root_ / "disk1");
    std::ofstream(root_ / "disk1" / "disk1") << "x";
    std::ofstream(base_ / "outside") << "secret";
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_;
  fs::path root_;
};

TEST(CheckObjectName, RefusesAnythingButOnePlainComponent) {
  EXPECT_TRUE(checkObjectName("disk-1.qcow2", "disk").has_value());
  for (const char* bad : {"", ".", "..", "a/b", "../etc", "/etc", "-rf", "a\nb"}) {
    auto checked = checkObjectName(bad, "disk");
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_THAT(checked.error().message, HasSubstr("disk name"));
  }
  EXPECT_FALSE(checkObjectName(std::string(256, 'a'), "disk").has_value());
}

TEST_F(PoolPath, ResolvesNamesInsideThePool) {
  auto resolved = resolveInPool(root_, "disk1/disk1", "p");
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_EQ(*resolved, root_ / "disk1" / "disk1");
  auto missing = resolveInPool(root_, "new/new", "p");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(*missing, root_ / "new" / "new");
}

TEST_F(PoolPath, RefusesDotDotEscape) {
  auto resolved = resolveInPool(root_, "../../etc/passwd", "p");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_THAT(resolved.error().message, HasSubstr("'../../etc/passwd' is refused"));
  EXPECT_THAT(resolved.error().message, HasSubstr("'..'"));
}

TEST_F(PoolPath, RefusesAbsolutePathWhereANameIsExpected) {
  auto resolved = resolveInPool(root_, "/etc/passwd", "p");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_THAT(resolved.error().message, HasSubstr("absolute"));
}

TEST_F(PoolPath, RefusesASymlinkComponent) {
  fs::create_directory_symlink(base_, root_ / "escape");
  auto resolved = resolveInPool(root_, "escape/outside", "p");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_THAT(resolved.error().message, HasSubstr("is a symbolic link"));
  // Even a link that stays inside the pool is refused: links are never followed.
  fs::create_symlink(root_ / "disk1" / "disk1", root_ / "disk1" / "alias");
  EXPECT_FALSE(resolveInPool(root_, "disk1/alias", "p").has_value());
}

TEST_F(PoolPath, UserPathMustBeInsideWithoutLinks) {
  EXPECT_TRUE(checkUserPathInPool(root_, (root_ / "disk1" / "disk1").string(), "p").has_value());

  auto outside = checkUserPathInPool(root_, "/etc/passwd", "p");
  ASSERT_FALSE(outside.has_value());
  EXPECT_THAT(outside.error().message, HasSubstr("outside the pool"));

  auto dotdot = checkUserPathInPool(root_, (root_ / ".." / "outside").string(), "p");
  ASSERT_FALSE(dotdot.has_value());
  EXPECT_THAT(dotdot.error().message, HasSubstr("'..'"));

  auto relative = checkUserPathInPool(root_, "../../etc/passwd", "p");
  ASSERT_FALSE(relative.has_value());
  EXPECT_THAT(relative.error().message, HasSubstr("not absolute"));

  fs::create_symlink(base_ / "outside", root_ / "link");
  auto linked = checkUserPathInPool(root_, (root_ / "link").string(), "p");
  ASSERT_FALSE(linked.has_value());
  EXPECT_THAT(linked.error().message, HasSubstr("symbolic link"));

  auto missing = checkUserPathInPool(root_, (root_ / "nope").string(), "p");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, util::ErrorCode::NotFound);
}

TEST_F(PoolPath, CanonicalRootNeedsAnExistingAbsoluteDirectory) {
  EXPECT_EQ(canonicalPoolRoot(root_.string(), "p").value(), root_);
  EXPECT_FALSE(canonicalPoolRoot("relative/dir", "p").has_value());
  EXPECT_EQ(canonicalPoolRoot((base_ / "none").string(), "p").error().code,
            util::ErrorCode::NotFound);
}

TEST(IsInside, ComparesWholeComponents) {
  EXPECT_TRUE(isInside("/a/b", "/a/b"));
  EXPECT_TRUE(isInside("/a/b", "/a/b/c"));
  EXPECT_FALSE(isInside("/a/b", "/a/bc"));
  EXPECT_FALSE(isInside("/a/b", "/a"));
}

}  // namespace
}  // namespace univirt::sdsctl
