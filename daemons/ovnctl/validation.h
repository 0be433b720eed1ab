#pragma once

// Strict checks of what network requests carry: IP addresses, CIDRs, MACs, VLAN ids, names and
// OVN match expressions. Upstream passed all of these unchecked to a shell; here a malformed
// value is refused with a message naming the parameter and the value, before anything is
// written.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace univirt::ovnctl {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4
  std::string text;                      // canonical form (inet_ntop)
};

struct Cidr {
  IpAddress address;  // as written (host bits may be set for an interface address)
  int prefix = 0;

  std::string toString() const;  // canonical "address/prefix"
  bool contains(const IpAddress& ip) const;
  bool isNetwork() const;  // host bits are zero
};

util::Result<IpAddress> parseIp(std::string_view text, std::string_view what);
// "a.b.c.d/n" or "x::y/n". `network` requires zero host bits ("192.168.1.0/24", not ".5/24").
util::Result<Cidr> parseCidr(std::string_view text, std::string_view what, bool network);
// Six colon-separated pairs of hex digits, unicast (the low bit of the first octet clear);
// returned lower-case, as OVN and libvirt print MACs.
util::Result<std::string> parseMac(std::string_view text, std::string_view what);
util::Status checkVlan(std::int64_t vlan, std::string_view what);
// Logical switch, router, address-set names: 1-64 of [A-Za-z0-9_.-], starting with a letter or
// digit (Kubernetes object names fit; ovn-nbctl treats names with ':' or spaces specially).
util::Status checkOvnName(std::string_view name, std::string_view what);
// OVS bridge/port/NIC names: 1-15 of [A-Za-z0-9_.-] (Linux IFNAMSIZ).
util::Status checkDeviceName(std::string_view name, std::string_view what);
// An OVN match fragment: non-empty, at most 1024 characters, printable, no '\n'.
util::Status checkMatch(std::string_view match, std::string_view what);
// A comma-separated list of IPs or CIDRs (Address_Set addresses), canonicalised.
util::Result<std::vector<std::string>> parseAddressList(std::string_view text,
                                                        std::string_view what);
// excludeIPs: comma-separated IPs or ranges "a..b" (a <= b), space-joined as OVN expects.
util::Result<std::string> parseExcludeIps(std::string_view text, std::string_view what);
// A random locally administered unicast MAC 00:60:2f:xx:xx:xx like upstream's rmac/imac.
std::string randomRouterMac();

}  // namespace univirt::ovnctl
