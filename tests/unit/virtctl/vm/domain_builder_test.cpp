#include "virtctl/vm/domain_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "virtctl/vm/owner_metadata.h"

namespace univirt::virtctl::vm {
namespace {

using ::testing::HasSubstr;

lifecycle::Params upstreamSample() {
  // VM-CreateVMFromISO.json (crd-contract.md §9) with virt_type qemu.
  lifecycle::Params params;
  params.set("virt_type", std::string("qemu"));
  params.set("memory", std::string("1024"));
  params.set("vcpus", std::string("1"));
  params.set("os_variant", std::string("centos7.0"));
  params.set("cdrom", std::string("/var/lib/libvirt/iso/centos7-minimal-1511.iso"));
  params.set("disk", std::string("/var/lib/libvirt/pooltest/disktest/disktest.qcow2,format=qcow2"));
  params.set("network", std::string("type=bridge,source=virbr0"));
  params.set("graphics", std::string("vnc,listen=0.0.0.0"));
  params.set("noautoconsole", true);
  return params;
}

BuildContext context() {
  return {.name = "test", .owner_namespace = "team-a", .node_name = "node1"};
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  return doc;
}

TEST(BuildDomain, UpstreamSampleBecomesVirtInstallLikeXml) {
  auto built = buildDomain(upstreamSample(), context());
  ASSERT_TRUE(built) << built.error().message;
  const pugi::xml_document doc = parse(built->xml);
  const pugi::xml_node domain = doc.child("domain");
  EXPECT_STREQ(domain.attribute("type").value(), "qemu");
  EXPECT_STREQ(domain.child("name").text().get(), "test");
  EXPECT_STREQ(domain.child("memory").attribute("unit").value(), "MiB");
  EXPECT_EQ(domain.child("memory").text().as_int(), 1024);
  EXPECT_EQ(domain.child("currentMemory").text().as_int(), 1024);
  EXPECT_EQ(domain.child("vcpu").text().as_int(), 1);
  EXPECT_STREQ(domain.child("os").child("type").attribute("arch").value(), "x86_64");
  // Blank disk first, installer second: the firmware falls through to the cdrom.
  const auto boots = domain.child("os").children("boot");
  std::vector<std::string> order;
  for (const pugi::xml_node boot : boots) {
    order.emplace_back(boot.attribute("dev").value());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"hd", "cdrom"}));

  const pugi::xml_node devices = domain.child("devices");
  const pugi::xml_node disk = devices.find_child_by_attribute("disk", "device", "disk");
  EXPECT_STREQ(disk.child("source").attribute("file").value(),
               "/var/lib/libvirt/pooltest/disktest/disktest.qcow2");
  EXPECT_STREQ(disk.child("driver").attribute("type").value(), "qcow2");
  EXPECT_STREQ(disk.child("target").attribute("dev").value(), "vda");
  EXPECT_STREQ(disk.child("target").attribute("bus").value(), "virtio");
  const pugi::xml_node cdrom = devices.find_child_by_attribute("disk", "device", "cdrom");
  EXPECT_STREQ(cdrom.child("target").attribute("dev").value(), "hda");
  EXPECT_STREQ(cdrom.child("target").attribute("bus").value(), "ide");
  EXPECT_TRUE(cdrom.child("readonly"));
  const pugi::xml_node nic = devices.child("interface");
  EXPECT_STREQ(nic.attribute("type").value(), "bridge");
  EXPECT_STREQ(nic.child("source").attribute("bridge").value(), "virbr0");
  EXPECT_STREQ(nic.child("model").attribute("type").value(), "virtio");
  const pugi::xml_node graphics = devices.child("graphics");
  EXPECT_STREQ(graphics.attribute("type").value(), "vnc");
  EXPECT_STREQ(graphics.child("listen").attribute("address").value(), "0.0.0.0");

  ASSERT_EQ(built->disk_files.size(), 1U);
  EXPECT_EQ(built->disk_files[0].size_bytes, 0U);
  EXPECT_EQ(built->read_only_files,
            (std::vector<std::string>{"/var/lib/libvirt/iso/centos7-minimal-1511.iso"}));
  EXPECT_TRUE(built->notes.empty());
}

TEST(BuildDomain, RecordsOwnerAndOsVariantInMetadata) {
  auto built = buildDomain(upstreamSample(), context());
  ASSERT_TRUE(built);
  const pugi::xml_document doc = parse(built->xml);
  const pugi::xml_node element = doc.child("domain").child("metadata").first_child();
  std::ostringstream text;
  element.print(text);
  const auto metadata = parseVmMetadata(text.str());
  ASSERT_TRUE(metadata) << text.str();
  EXPECT_EQ(metadata->owner_namespace, "team-a");
  EXPECT_EQ(metadata->os_variant, "centos7.0");
}

TEST(BuildDomain, KvmOnNodeWithoutKvmFailsClearly) {
  lifecycle::Params params = upstreamSample();
  params.set("virt_type", std::string("kvm"));
  auto built = buildDomain(params, context());
  ASSERT_FALSE(built);
  EXPECT_THAT(built.error().message, HasSubstr("virt_type 'kvm'"));
  EXPECT_THAT(built.error().message, HasSubstr("node 'node1' has no KVM"));
}

TEST(BuildDomain, KvmFallsBackToQemuWhenTheNodeAllowsAndSaysSo) {
  lifecycle::Params params = upstreamSample();
  params.set("virt_type", std::string("kvm"));
  BuildContext fallback = context();
  fallback.allow_qemu_fallback = true;
  auto built = buildDomain(params, fallback);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->virt_type, "qemu");
  ASSERT_EQ(built->notes.size(), 1U);
  EXPECT_THAT(built->notes[0], HasSubstr("instead of the requested 'kvm'"));
  EXPECT_STREQ(parse(built->xml).child("domain").attribute("type").value(), "qemu");
}

TEST(BuildDomain, DefaultsToKvmWhereAvailable) {
  lifecycle::Params params;
  params.set("memory", std::string("128"));
  BuildContext with_kvm = context();
  with_kvm.kvm_available = true;
  auto built = buildDomain(params, with_kvm);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->virt_type, "kvm");
}

TEST(BuildDomain, VcpuHotplugTopologyCpuAndMaxMemory) {
  lifecycle::Params params;
  params.set("memory", std::string("memory=256,maxmemory=512"));
  params.set("vcpus", std::string("vcpus=1,maxvcpus=4,sockets=1,cores=4,threads=1"));
  params.set("cpu", std::string("host-passthrough"));
  params.set("machine", std::string("q35"));
  params.set("cdrom", std::string("/iso/x.iso"));
  params.set("disk", std::string("path=/d/x.qcow2,size=2,cache=none"));
  params.set("boot", std::string("cdrom,hd,menu=on"));
  auto built = buildDomain(params, context());
  ASSERT_TRUE(built) << built.error().message;
  const pugi::xml_document doc = parse(built->xml);
  const pugi::xml_node domain = doc.child("domain");
  EXPECT_EQ(domain.child("memory").text().as_int(), 512);
  EXPECT_EQ(domain.child("currentMemory").text().as_int(), 256);
  EXPECT_EQ(domain.child("vcpu").text().as_int(), 4);
  EXPECT_EQ(domain.child("vcpu").attribute("current").as_int(), 1);
  EXPECT_STREQ(domain.child("cpu").attribute("mode").value(), "host-passthrough");
  EXPECT_EQ(domain.child("cpu").child("topology").attribute("cores").as_int(), 4);
  EXPECT_STREQ(domain.child("os").child("type").attribute("machine").value(), "q35");
  EXPECT_STREQ(domain.child("os").child("boot").attribute("dev").value(), "cdrom");
  EXPECT_STREQ(domain.child("os").child("bootmenu").attribute("enable").value(), "yes");
  const pugi::xml_node cdrom =
      domain.child("devices").find_child_by_attribute("disk", "device", "cdrom");
  EXPECT_STREQ(cdrom.child("target").attribute("bus").value(), "sata");
  EXPECT_STREQ(cdrom.child("target").attribute("dev").value(), "sda");
  ASSERT_EQ(built->disk_files.size(), 1U);
  EXPECT_EQ(built->disk_files[0].size_bytes, std::uint64_t{2} << 30);
  EXPECT_EQ(built->disk_files[0].format, "qcow2");
}

TEST(BuildDomain, FromImageNeedsAnExistingDiskAndNoSize) {
  lifecycle::Params params;
  params.set("memory", std::string("128"));
  BuildContext image = context();
  image.from_image = true;
  EXPECT_FALSE(buildDomain(params, image));
  params.set("disk", std::string("/d/x.qcow2,size=1"));
  EXPECT_FALSE(buildDomain(params, image));
  params.set("disk", std::string("/d/x.qcow2"));
  auto built = buildDomain(params, image);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_STREQ(parse(built->xml).child("domain").child("os").child("boot").attribute("dev").value(),
               "hd");
}

TEST(BuildDomain, RefusesBadOptionsAndForeignMetadataName) {
  lifecycle::Params params;
  params.set("memory", std::string("128"));
  params.set("metadata", std::string("name=other"));
  auto built = buildDomain(params, context());
  ASSERT_FALSE(built);
  EXPECT_THAT(built.error().message, HasSubstr("differs from the VirtualMachine name"));
  params.set("metadata", std::string("title=x"));
  params.set("network", std::string("type=bridge,source=br0,foo=1"));
  EXPECT_FALSE(buildDomain(params, context()));
}

}  // namespace
}  // namespace univirt::virtctl::vm
