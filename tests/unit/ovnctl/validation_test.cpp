#include "ovnctl/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::ovnctl {
namespace {

using ::testing::HasSubstr;

TEST(ParseIp, AcceptsCanonicalV4AndV6) {
  auto v4 = parseIp("192.168.1.10", "ip");
  ASSERT_TRUE(v4.has_value());
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->text, "192.168.1.10");
  auto v6 = parseIp("FD00:0:0::1", "ip");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->text, "fd00::1");
}

TEST(ParseIp, RejectsMalformedAddressesNamingTheValue) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.1 ", " 10.0.0.1", "10.0.0.1;reboot",
                          "010.0.0.1", "1.2.3.4.5", "fd00:::1", "dynamic"}) {
    auto parsed = parseIp(bad, "ip");
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, util::ErrorCode::InvalidArgument);
    EXPECT_THAT(parsed.error().message, HasSubstr(std::string("ip '") + bad + "'"));
  }
}

TEST(ParseCidr, NetworksNeedZeroHostBits) {
  auto net = parseCidr("10.0.0.0/24", "subnet", true);
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->toString(), "10.0.0.0/24");
  auto host = parseCidr("10.0.0.7/24", "subnet", true);
  ASSERT_FALSE(host.has_value());
  EXPECT_THAT(host.error().message, HasSubstr("did you mean '10.0.0.0/24'"));
  auto fip = parseCidr("10.0.0.7/24", "fip", false);
  ASSERT_TRUE(fip.has_value());
  EXPECT_EQ(fip->prefix, 24);
  auto v6 = parseCidr("fd00:1::/64", "subnet", true);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->toString(), "fd00:1::/64");
}

TEST(ParseCidr, RejectsBadPrefixes) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/-1",
                          "10.0.0.0/2a", "fd00::/129", "/24", "10.0.0.0/0"}) {
    EXPECT_FALSE(parseCidr(bad, "subnet", true).has_value()) << bad;
  }
}

TEST(Cidr, ContainsOnlyItsOwnFamilyAndRange) {
  auto net = parseCidr("10.1.2.0/23", "subnet", true);
  ASSERT_TRUE(net.has_value());
  EXPECT_TRUE(net->contains(*parseIp("10.1.3.255", "ip")));
  EXPECT_FALSE(net->contains(*parseIp("10.1.4.0", "ip")));
  EXPECT_FALSE(net->contains(*parseIp("::ffff:10.1.2.1", "ip")));
}

TEST(ParseMac, NormalisesAndRejects) {
  auto mac = parseMac("52:54:00:AB:cd:0F", "mac");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(*mac, "52:54:00:ab:cd:0f");
  for (const char* bad :
       {"52:54:00:ab:cd", "52-54-00-ab-cd-0f", "52:54:00:ab:cd:0g", "525400abcd0f",
        "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "52:54:00:ab:cd:0f "}) {
    auto parsed = parseMac(bad, "mac");
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_THAT(parsed.error().message, HasSubstr("unicast MAC"));
  }
}

TEST(CheckVlan, AcceptsOneTo4094) {
  EXPECT_TRUE(checkVlan(1, "vlan").has_value());
  EXPECT_TRUE(checkVlan(4094, "vlan").has_value());
  for (const std::int64_t bad : {0LL, -1LL, 4095LL, 65536LL}) {
    auto checked = checkVlan(bad, "vlanId");
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_THAT(checked.error().message, HasSubstr("vlanId"));
  }
}

TEST(CheckNames, RefuseShellAndOvnSyntax) {
  EXPECT_TRUE(checkOvnName("tenant-net.1_a", "name").has_value());
  for (const char* bad : {"", "-lead", "a b", "a;b", "a:b", "a\"b", "a$(x)"}) {
    EXPECT_FALSE(checkOvnName(bad, "name").has_value()) << bad;
  }
  EXPECT_FALSE(checkOvnName(std::string(65, 'a'), "name").has_value());
  EXPECT_TRUE(checkDeviceName("br-ex.100", "bridge").has_value());
  EXPECT_FALSE(checkDeviceName("a-very-long-name-x", "bridge").has_value());
  EXPECT_FALSE(checkDeviceName("br/0", "bridge").has_value());
  EXPECT_FALSE(checkDeviceName("..", "bridge").has_value());
}

TEST(CheckMatch, NeedsPrintableNonEmptyText) {
  EXPECT_TRUE(checkMatch("tcp.dst == 80 && ip4.src == {10.0.0.1, 10.0.0.2}", "rule").has_value());
  EXPECT_FALSE(checkMatch("", "rule").has_value());
  EXPECT_FALSE(checkMatch("   ", "rule").has_value());
  EXPECT_FALSE(checkMatch("tcp\nudp", "rule").has_value());
  EXPECT_FALSE(checkMatch(std::string(1025, 'a'), "rule").has_value());
}

TEST(AddressLists, AreCanonicalSortedAndStrict) {
  auto list = parseAddressList("10.10.10.13,192.168.96.0/21,10.10.10.11,10.10.10.11", "address");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<std::string>{"10.10.10.11", "10.10.10.13", "192.168.96.0/21"}));
  EXPECT_FALSE(parseAddressList("10.0.0.1,,10.0.0.2", "address").has_value());
  EXPECT_FALSE(parseAddressList("10.0.0.1 10.0.0.2", "address").has_value());
  auto exclude = parseExcludeIps("10.0.0.2..10.0.0.9,10.0.0.20", "excludeIPs");
  ASSERT_TRUE(exclude.has_value());
  EXPECT_EQ(*exclude, "10.0.0.2..10.0.0.9 10.0.0.20");
  EXPECT_FALSE(parseExcludeIps("10.0.0.9..10.0.0.2", "excludeIPs").has_value());
  EXPECT_FALSE(parseExcludeIps("10.0.0.1..fd00::1", "excludeIPs").has_value());
}

TEST(RandomRouterMac, IsUpstreamsPrefixAndValid) {
  const std::string mac = randomRouterMac();
  EXPECT_TRUE(mac.starts_with("00:60:2f:"));
  EXPECT_TRUE(parseMac(mac, "mac").has_value()) << mac;
}

}  // namespace
}  // namespace univirt::ovnctl
