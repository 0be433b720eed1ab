#include "virtctl/vm/virt_install_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::virtctl::vm {
namespace {

using ::testing::HasSubstr;

TEST(ParseDiskOption, AcceptsUpstreamPathFirstForm) {
  auto disk = parseDiskOption("/var/lib/libvirt/pooltest/disktest/disktest.qcow2,format=qcow2");
  ASSERT_TRUE(disk) << disk.error().message;
  EXPECT_EQ(disk->path, "/var/lib/libvirt/pooltest/disktest/disktest.qcow2");
  EXPECT_EQ(disk->format, "qcow2");
  EXPECT_EQ(disk->device, "disk");
  EXPECT_FALSE(disk->size_bytes.has_value());
}

TEST(ParseDiskOption, ReadsEveryImplementedKey) {
  auto disk = parseDiskOption(
      "path=/d/a.img,format=raw,bus=scsi,size=0.5,cache=none,target=sdb,readonly=on");
  ASSERT_TRUE(disk) << disk.error().message;
  EXPECT_EQ(disk->path, "/d/a.img");
  EXPECT_EQ(disk->format, "raw");
  EXPECT_EQ(disk->bus, "scsi");
  EXPECT_EQ(disk->size_bytes, std::uint64_t{512} << 20);
  EXPECT_EQ(disk->cache, "none");
  EXPECT_EQ(disk->target, "sdb");
  EXPECT_TRUE(disk->readonly);
}

TEST(ParseDiskOption, GuessesFormatFromFileName) {
  EXPECT_EQ(parseDiskOption("/d/a.qcow2")->format, "qcow2");
  EXPECT_EQ(parseDiskOption("/d/a.img")->format, "raw");
}

TEST(ParseDiskOption, NoneMeansNoDisk) { EXPECT_TRUE(parseDiskOption("none")->none); }

TEST(ParseDiskOption, RefusesUnimplementedKeysByName) {
  auto disk = parseDiskOption("/d/a.qcow2,pool=default");
  ASSERT_FALSE(disk);
  EXPECT_THAT(disk.error().message, HasSubstr("disk option 'pool' is not supported"));
}

TEST(ParseDiskOption, RefusesBadValues) {
  EXPECT_FALSE(parseDiskOption("/d/a.qcow2,size=-1"));
  EXPECT_FALSE(parseDiskOption("/d/a.qcow2,size=ten"));
  EXPECT_FALSE(parseDiskOption("/d/a.qcow2,format=iso"));
  EXPECT_FALSE(parseDiskOption("/d/a.qcow2,bus=floppy"));
  EXPECT_FALSE(parseDiskOption("relative/a.qcow2"));
  EXPECT_FALSE(parseDiskOption("format=qcow2"));
}

TEST(ParseNetworkOption, AcceptsUpstreamBridgeForm) {
  auto network = parseNetworkOption("type=bridge,source=virbr0,mac=52:54:00:aa:bb:cc,inbound=100");
  ASSERT_TRUE(network) << network.error().message;
  EXPECT_EQ(network->type, "bridge");
  EXPECT_EQ(network->source, "virbr0");
  EXPECT_EQ(network->mac, "52:54:00:aa:bb:cc");
  EXPECT_EQ(network->inbound, "100");
  EXPECT_EQ(network->model, "virtio");
}

TEST(ParseNetworkOption, AcceptsUserAndNone) {
  EXPECT_EQ(parseNetworkOption("type=user")->type, "user");
  EXPECT_TRUE(parseNetworkOption("none")->none);
}

TEST(ParseNetworkOption, ReadsL3BridgeSwitchAndIp) {
  auto network = parseNetworkOption("type=l3bridge,source=br-int,switch=sw1,ip=10.0.0.5");
  ASSERT_TRUE(network) << network.error().message;
  EXPECT_EQ(network->switch_name, "sw1");
  EXPECT_EQ(network->ip, "10.0.0.5");
}

TEST(ParseNetworkOption, RefusesL3BridgeWithoutSwitchOrWithABadIp) {
  auto no_switch = parseNetworkOption("type=l3bridge,source=br-int");
  ASSERT_FALSE(no_switch);
  EXPECT_THAT(no_switch.error().message, HasSubstr("OVN logical switch"));
  EXPECT_FALSE(parseNetworkOption("type=l3bridge,source=br-int,switch=sw1,ip=10.0.0.300"));
  EXPECT_FALSE(parseNetworkOption("type=bridge,source=br0,switch=sw1"));
}

TEST(ParseNetworkOption, RefusesMissingSourceBadMacAndUnknownKeys) {
  EXPECT_FALSE(parseNetworkOption("type=bridge"));
  EXPECT_FALSE(parseNetworkOption("type=bridge,source=br0,mac=zz:54:00:aa:bb:cc"));
  EXPECT_FALSE(parseNetworkOption("type=bridge,source=br0,portgroup=x"));
  EXPECT_FALSE(parseNetworkOption("type=user,source=br0"));
  EXPECT_FALSE(parseNetworkOption("network=default"));
}

TEST(ParseGraphicsOption, ReadsVncListenPortPassword) {
  auto graphics = parseGraphicsOption("vnc,listen=0.0.0.0,port=5901,password=s3cret");
  ASSERT_TRUE(graphics) << graphics.error().message;
  EXPECT_EQ(graphics->type, "vnc");
  EXPECT_EQ(graphics->listen, "0.0.0.0");
  EXPECT_EQ(graphics->port, 5901);
  EXPECT_EQ(graphics->password, "s3cret");
  EXPECT_FALSE(parseGraphicsOption("vnc,keymap=de"));
  EXPECT_FALSE(parseGraphicsOption("sdl"));
  EXPECT_FALSE(parseGraphicsOption("vnc,port=80"));
}

TEST(ParseMemoryOption, PlainMibAndMaxmemory) {
  EXPECT_EQ(parseMemoryOption("1024")->memory_mib, 1024U);
  EXPECT_EQ(parseMemoryOption("1024")->max_memory_mib, 1024U);
  auto memory = parseMemoryOption("memory=512,maxmemory=2048");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->memory_mib, 512U);
  EXPECT_EQ(memory->max_memory_mib, 2048U);
  EXPECT_FALSE(parseMemoryOption("memory=2048,maxmemory=1024"));
  EXPECT_FALSE(parseMemoryOption("1G"));
  EXPECT_FALSE(parseMemoryOption("hugepages=yes"));
}

TEST(ParseVcpuOption, CountMaximumAndTopology) {
  auto plain = parseVcpuOption("2");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->vcpus, 2U);
  EXPECT_EQ(plain->max_vcpus, 2U);
  auto hotplug = parseVcpuOption("vcpus=1,maxvcpus=4,sockets=1,cores=2,threads=2");
  ASSERT_TRUE(hotplug) << hotplug.error().message;
  EXPECT_EQ(hotplug->vcpus, 1U);
  EXPECT_EQ(hotplug->max_vcpus, 4U);
  EXPECT_EQ(hotplug->cores, 2U);
  EXPECT_FALSE(parseVcpuOption("vcpus=4,maxvcpus=2"));
  EXPECT_FALSE(parseVcpuOption("vcpus=4,sockets=3"));
  EXPECT_FALSE(parseVcpuOption("0"));
}

TEST(ParseCpuOption, ModesAndModels) {
  EXPECT_EQ(parseCpuOption("host-passthrough")->mode, "host-passthrough");
  EXPECT_EQ(parseCpuOption("host")->mode, "host-model");
  EXPECT_EQ(parseCpuOption("Haswell-noTSX")->model, "Haswell-noTSX");
  EXPECT_FALSE(parseCpuOption("host-model,+vmx"));
}

TEST(ParseBootOption, DevicesAndMenu) {
  auto boot = parseBootOption("cdrom,hd,menu=on");
  ASSERT_TRUE(boot);
  EXPECT_EQ(boot->devices, (std::vector<std::string>{"cdrom", "hd"}));
  EXPECT_EQ(boot->menu, true);
  EXPECT_FALSE(parseBootOption("uefi"));
}

TEST(SplitInstallOptions, KeepsEmptyValuesDistinctFromFlags) {
  const auto options = splitInstallOptions(" a , b=, c=d ");
  ASSERT_EQ(options.size(), 3U);
  EXPECT_FALSE(options[0].has_value);
  EXPECT_TRUE(options[1].has_value);
  EXPECT_EQ(options[1].value, "");
  EXPECT_EQ(options[2].value, "d");
}

}  // namespace
}  // namespace univirt::virtctl::vm
