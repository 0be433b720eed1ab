#include "virtctl/vm/owner_metadata.h"

#include <gtest/gtest.h>

namespace univirt::virtctl::vm {
namespace {

TEST(VmMetadata, RenderedElementParsesBack) {
  const std::string xml = renderVmMetadata({.owner_namespace = "ns1", .os_variant = "ubuntu22.04"});
  EXPECT_NE(xml.find(kMetadataUri), std::string::npos);
  auto parsed = parseVmMetadata(xml);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->owner_namespace, "ns1");
  EXPECT_EQ(parsed->os_variant, "ubuntu22.04");
}

TEST(VmMetadata, ParsesWhatLibvirtReturnsWithItsOwnPrefix) {
  // libvirt may print the element with another prefix than the one univirt wrote.
  auto parsed = parseVmMetadata(
      "<u:vm xmlns:u=\"https://univirt.doslab.io/xmlns/vm/1\"><u:owner namespace=\"prod\"/>"
      "</u:vm>");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->owner_namespace, "prod");
  EXPECT_FALSE(parseVmMetadata("<u:vm xmlns:u=\"x\"/>"));
  EXPECT_FALSE(parseVmMetadata("not xml"));
}

TEST(VmMetadata, InsertsIntoDomainAfterNameAndReplacesAnOldRecord) {
  const std::string domain =
      "<domain type='qemu'><name>a</name><uuid>u</uuid><memory>1</memory></domain>";
  auto once = withVmMetadata(domain, {.owner_namespace = "one", .os_variant = {}});
  ASSERT_TRUE(once);
  EXPECT_LT(once->find("<uuid>"), once->find("<metadata>"));
  EXPECT_LT(once->find("<metadata>"), once->find("<memory>"));
  auto twice = withVmMetadata(*once, {.owner_namespace = "two", .os_variant = {}});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->find("one"), std::string::npos) << *twice;
  EXPECT_NE(twice->find("namespace=\"two\""), std::string::npos) << *twice;
  EXPECT_FALSE(withVmMetadata("<network/>", {.owner_namespace = "x", .os_variant = {}}));
}

}  // namespace
}  // namespace univirt::virtctl::vm
