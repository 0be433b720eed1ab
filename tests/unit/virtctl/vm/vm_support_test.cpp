#include "virtctl/vm/vm_support.h"

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

namespace univirt::virtctl::vm {
namespace {

TEST(ParseScaledSize, PlainNumberUsesTheDefaultUnit) {
  EXPECT_EQ(*parseScaledSize("1024", 1024), 1024U * 1024U);
  EXPECT_EQ(*parseScaledSize("1G", 1024), std::uint64_t{1} << 30);
  EXPECT_EQ(*parseScaledSize("2GiB", 1024), std::uint64_t{2} << 30);
  EXPECT_EQ(*parseScaledSize("1GB", 1024), 1000000000U);
  EXPECT_EQ(*parseScaledSize("512m", 1024), std::uint64_t{512} << 20);
  EXPECT_FALSE(parseScaledSize("1X", 1024));
  EXPECT_FALSE(parseScaledSize("", 1024));
  EXPECT_FALSE(parseScaledSize("-5", 1024));
  EXPECT_FALSE(parseScaledSize("99999999999999999999T", 1024));
}

TEST(CheckPathUnderRoots, OnlyInsideARoot) {
  const lifecycle::ValidationContext context{.path_roots = {"/var/lib/libvirt"}};
  EXPECT_TRUE(checkPathUnderRoots("/var/lib/libvirt/pool/d.qcow2", context));
  EXPECT_FALSE(checkPathUnderRoots("/var/lib/libvirt/../../etc/shadow", context));
  EXPECT_FALSE(checkPathUnderRoots("/var/lib/libvirtx/d", context));
  EXPECT_FALSE(checkPathUnderRoots("relative", context));
}

TEST(AffectFlags, VirshSemantics) {
  lifecycle::Params none;
  EXPECT_EQ(*affectFlags(none, true), static_cast<unsigned int>(VIR_DOMAIN_AFFECT_CURRENT));
  lifecycle::Params persistent;
  persistent.set("persistent", true);
  EXPECT_EQ(*affectFlags(persistent, true),
            static_cast<unsigned int>(VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_AFFECT_LIVE));
  EXPECT_EQ(*affectFlags(persistent, false), static_cast<unsigned int>(VIR_DOMAIN_AFFECT_CONFIG));
  lifecycle::Params conflicting;
  conflicting.set("current", true);
  conflicting.set("live", true);
  EXPECT_FALSE(affectFlags(conflicting, true));
}

TEST(NextBootNote, OnlyForConfigOnlyChangesOfARunningDomain) {
  EXPECT_FALSE(nextBootNote(true, VIR_DOMAIN_AFFECT_CONFIG).empty());
  EXPECT_TRUE(nextBootNote(false, VIR_DOMAIN_AFFECT_CONFIG).empty());
  EXPECT_TRUE(nextBootNote(true, VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_AFFECT_LIVE).empty());
  EXPECT_TRUE(nextBootNote(true, VIR_DOMAIN_AFFECT_LIVE).empty());
}

}  // namespace
}  // namespace univirt::virtctl::vm
