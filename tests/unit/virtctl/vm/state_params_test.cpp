#include "virtctl/vm/state_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

namespace univirt::virtctl::vm {
namespace {

using ::testing::HasSubstr;

std::vector<DomainDisk> disksWithCache(const std::string& cache) {
  return {{.type = "file",
           .device = "disk",
           .source = "/d/a",
           .target = "vda",
           .bus = "virtio",
           .format = "qcow2",
           .cache = cache},
          {.type = "file",
           .device = "cdrom",
           .source = "/iso/x",
           .target = "hda",
           .bus = "ide",
           .format = "raw",
           .cache = {}}};
}

lifecycle::Params ipParams(const std::string& ip, bool offline) {
  lifecycle::Params params;
  params.set("ip", ip);
  params.set("offline", offline);
  return params;
}

TEST(PlanMigration, LiveIsPeerToPeerPersistentAndUndefinesTheSource) {
  auto plan = planMigration(ipParams("10.0.0.2", false), disksWithCache("none"), true, {});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->connect_uri, "qemu+ssh://10.0.0.2/system");
  EXPECT_EQ(plan->data_uri, "tcp://10.0.0.2");
  EXPECT_EQ(plan->flags,
            static_cast<unsigned int>(VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
                                      VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_LIVE));
}

TEST(PlanMigration, OfflineHasNoDataStreamAndBracketsIpv6) {
  auto plan = planMigration(ipParams("fd00::2", true), disksWithCache("none"), false, {});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->connect_uri, "qemu+ssh://[fd00::2]/system");
  EXPECT_TRUE(plan->data_uri.empty());
  EXPECT_NE(plan->flags & VIR_MIGRATE_OFFLINE, 0U);
  EXPECT_EQ(plan->flags & VIR_MIGRATE_LIVE, 0U);
}

TEST(PlanMigration, RefusesDisksWithCacheAndBadInput) {
  auto cached = planMigration(ipParams("10.0.0.2", false), disksWithCache(""), true, {});
  ASSERT_FALSE(cached);
  EXPECT_THAT(cached.error().message, HasSubstr("cache='none'"));
  EXPECT_FALSE(planMigration(ipParams("node2", false), disksWithCache("none"), true, {}));
  EXPECT_FALSE(planMigration(ipParams("10.0.0.2", false), disksWithCache("none"), false, {}));
}

TEST(SavedDomainIdentity, ReadsNameAndOwner) {
  auto identity = savedDomainIdentity(
      "<domain type='qemu'><name>vm1</name><metadata><x:vm "
      "xmlns:x='https://univirt.doslab.io/xmlns/vm/1'><x:owner namespace='ns'/></x:vm>"
      "</metadata></domain>");
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->name, "vm1");
  EXPECT_EQ(identity->owner_namespace, "ns");
  EXPECT_EQ(savedDomainIdentity("<domain><name>b</name></domain>")->owner_namespace, "");
  EXPECT_FALSE(savedDomainIdentity("<pool/>"));
}

TEST(IpAddressValidator, AcceptsAddressesOnly) {
  const auto validator = ipAddressValidator();
  EXPECT_TRUE(validator(std::string("192.168.1.2"), {}));
  EXPECT_TRUE(validator(std::string("::1"), {}));
  EXPECT_FALSE(validator(std::string("host.example"), {}));
  EXPECT_FALSE(validator(std::int64_t{1}, {}));
}

}  // namespace
}  // namespace univirt::virtctl::vm
