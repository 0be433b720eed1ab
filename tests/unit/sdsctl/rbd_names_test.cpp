// Ceph RBD names and locations as sdsctl accepts them (rbd_names.h), and the rbd: target
// handed to qemu-img (rbd_backend.h). No cluster needed.

#include "sdsctl/rbd_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sdsctl/rbd_backend.h"

namespace univirt::sdsctl {
namespace {

using ::testing::HasSubstr;

TEST(CheckRbdName, AcceptsPlainNames) {
  for (const char* name : {"rbd", "disk1", "vm-disk_01", "a.b", "X"}) {
    EXPECT_TRUE(checkRbdName(name, "RBD image")) << name;
  }
  EXPECT_TRUE(checkRbdName(std::string(kMaxRbdNameLength, 'a'), "RBD image"));
}

TEST(CheckRbdName, RefusesSeparatorsAndOddStarts) {
  struct Case {
    std::string name;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "is empty"},
      {"a/b", "contains '/'"},
      {"a@snap", "contains '@'"},
      {"a:conf=/etc/x", "contains ':'"},
      {"a b", "contains ' '"},
      {std::string("a\nb"), "contains '?'"},
      {".hidden", "must not start with '.'"},
      {"-rf", "must not start with '-'"},
      {"..", "must not start with '.'"},
      {std::string(kMaxRbdNameLength + 1, 'a'), "longer than 96"},
  };
  for (const auto& test : cases) {
    auto checked = checkRbdName(test.name, "RBD image");
    ASSERT_FALSE(checked) << test.name;
    EXPECT_EQ(checked.error().code, util::ErrorCode::InvalidArgument);
    EXPECT_THAT(checked.error().message, HasSubstr(test.expected)) << test.name;
    EXPECT_THAT(checked.error().message, HasSubstr("RBD image name"));
  }
}

TEST(ParseRbdPoolUrl, TakesTheCephPoolFromRbdUrl) {
  auto pool = parseRbdPoolUrl("rbd:vmpool", "");
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(*pool, "vmpool");
  auto agreeing = parseRbdPoolUrl("rbd:vmpool", "vmpool");
  ASSERT_TRUE(agreeing);
  EXPECT_EQ(*agreeing, "vmpool");
}

TEST(ParseRbdPoolUrl, TakesUpstreamDirectoryUrlWithSourceName) {
  // Upstream's example: url /var/lib/libvirt/cephrbdpool, source-name rbdpool.
  auto pool = parseRbdPoolUrl("/var/lib/libvirt/cephrbdpool", "rbdpool");
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(*pool, "rbdpool");
}

TEST(ParseRbdPoolUrl, RefusesWhatItCannotUse) {
  auto missing = parseRbdPoolUrl("/var/lib/libvirt/x", "");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("needs its Ceph pool"));
  auto conflict = parseRbdPoolUrl("rbd:a", "b");
  ASSERT_FALSE(conflict);
  EXPECT_THAT(conflict.error().message, HasSubstr("names Ceph pool 'a' but source-name is 'b'"));
  auto bad_pool = parseRbdPoolUrl("rbd:a/b", "");
  ASSERT_FALSE(bad_pool);
  EXPECT_THAT(bad_pool.error().message, HasSubstr("contains '/'"));
  auto empty_pool = parseRbdPoolUrl("rbd:", "");
  ASSERT_FALSE(empty_pool);
  EXPECT_THAT(empty_pool.error().message, HasSubstr("is empty"));
  auto scheme = parseRbdPoolUrl("ceph://mon/pool", "");
  ASSERT_FALSE(scheme);
  EXPECT_THAT(scheme.error().message, HasSubstr("write 'rbd:<pool>'"));
  auto bad_source = parseRbdPoolUrl("/x", "../etc");
  ASSERT_FALSE(bad_source);
  EXPECT_THAT(bad_source.error().message, HasSubstr("source-name"));
}

TEST(ParseRbdImageSpec, SplitsPoolImageAndSnapshot) {
  auto plain = parseRbdImageSpec("rbd/disk1");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->pool, "rbd");
  EXPECT_EQ(plain->image, "disk1");
  EXPECT_EQ(plain->snapshot, "");
  EXPECT_EQ(plain->spec(), "rbd/disk1");
  auto snap = parseRbdImageSpec("rbd:images/base@univirt-base");
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->pool, "images");
  EXPECT_EQ(snap->image, "base");
  EXPECT_EQ(snap->snapshot, "univirt-base");
  EXPECT_EQ(snap->spec(), "images/base@univirt-base");
}

TEST(ParseRbdImageSpec, RefusesMalformedSpecs) {
  for (const char* text : {"disk1", "rbd/", "/disk", "rbd/a/b", "rbd/a@", "rbd/a@b@c", "rbd/-x",
                           "rbd/a:conf=/tmp/evil.conf"}) {
    auto parsed = parseRbdImageSpec(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, util::ErrorCode::InvalidArgument) << text;
    EXPECT_THAT(parsed.error().message, HasSubstr(text)) << parsed.error().message;
  }
}

TEST(LooksLikeRbdSpec, TellsSpecsFromPaths) {
  EXPECT_TRUE(looksLikeRbdSpec("rbd/disk"));
  EXPECT_TRUE(looksLikeRbdSpec("rbd:rbd/disk"));
  EXPECT_FALSE(looksLikeRbdSpec("/var/lib/libvirt/images/x.qcow2"));
  EXPECT_FALSE(looksLikeRbdSpec("../../etc/passwd"));
  EXPECT_FALSE(looksLikeRbdSpec("disk"));
  EXPECT_FALSE(looksLikeRbdSpec(""));
}

TEST(QemuRbdTarget, EscapesOptionSeparators) {
  RbdSettings settings;
  settings.conf = "/tmp/a:b\\c/ceph.conf";
  settings.client_id = "admin";
  EXPECT_EQ(qemuRbdTarget(settings, "rbd", "d1"),
            "rbd:rbd/d1:conf=/tmp/a\\:b\\\\c/ceph.conf:id=admin");
  settings.keyring = "/k/keyring";
  EXPECT_EQ(qemuRbdTarget(settings, "p", "i"),
            "rbd:p/i:conf=/tmp/a\\:b\\\\c/ceph.conf:id=admin"
            ":keyring=/k/keyring");
}

}  // namespace
}  // namespace univirt::sdsctl
