#include "ovnctl/validation.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <random>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace univirt::ovnctl {
namespace {

using util::Error;
using util::ErrorCode;

Error invalid(std::string_view what, std::string_view value, std::string_view expected) {
  return Error{ErrorCode::InvalidArgument, fmt::format("{} '{}' is not {}", what, value, expected)};
}

std::vector<std::string_view> splitComma(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) {
      return parts;
    }
    text.remove_prefix(comma + 1);
  }
}

int compareIp(const IpAddress& a, const IpAddress& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.v6 ? 16 : 4);
}

bool nameCharacters(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace

std::string Cidr::toString() const { return fmt::format("{}/{}", address.text, prefix); }

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.v6 != address.v6) {
    return false;
  }
  int bits = prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != (address.bytes[i] & mask)) {
      return false;
    }
  }
  return true;
}

bool Cidr::isNetwork() const {
  const int total = address.v6 ? 128 : 32;
  for (int bit = prefix; bit < total; ++bit) {
    if ((address.bytes[bit / 8] >> (7 - bit % 8)) & 1) {
      return false;
    }
  }
  return true;
}

util::Result<IpAddress> parseIp(std::string_view text, std::string_view what) {
  const std::string value(text);
  IpAddress ip;
  char canonical[INET6_ADDRSTRLEN] = {};
  if (value.find(':') == std::string::npos) {
    // inet_pton accepts only dotted quads of decimal numbers ("010.1.1.1" is refused too).
    if (::inet_pton(AF_INET, value.c_str(), ip.bytes.data()) != 1) {
      return invalid(what, text, "an IPv4 or IPv6 address");
    }
    ::inet_ntop(AF_INET, ip.bytes.data(), canonical, sizeof(canonical));
  } else {
    ip.v6 = true;
    if (::inet_pton(AF_INET6, value.c_str(), ip.bytes.data()) != 1) {
      return invalid(what, text, "an IPv4 or IPv6 address");
    }
    ::inet_ntop(AF_INET6, ip.bytes.data(), canonical, sizeof(canonical));
  }
  ip.text = canonical;
  return ip;
}

util::Result<Cidr> parseCidr(std::string_view text, std::string_view what, bool network) {
  const auto slash = text.find('/');
  const std::string_view expected = network ? "a network in CIDR notation (e.g. 10.0.0.0/24)"
                                            : "an address with a prefix length (e.g. 10.0.0.1/24)";
  if (slash == std::string_view::npos) {
    return invalid(what, text, expected);
  }
  auto ip = parseIp(text.substr(0, slash), what);
  if (!ip) {
    return invalid(what, text, expected);
  }
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) ||
      (digits.size() > 1 && digits.front() == '0')) {
    return invalid(what, text, expected);
  }
  const int prefix = std::stoi(std::string(digits));
  if (prefix > (ip->v6 ? 128 : 32) || (network && prefix == 0)) {
    return invalid(what, text, expected);
  }
  Cidr cidr{.address = std::move(*ip), .prefix = prefix};
  if (network && !cidr.isNetwork()) {
    auto bytes = cidr.address.bytes;
    const int total = cidr.address.v6 ? 128 : 32;
    for (int bit = prefix; bit < total; ++bit) {
      bytes[bit / 8] &= static_cast<std::uint8_t>(~(1u << (7 - bit % 8)));
    }
    char canonical[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(cidr.address.v6 ? AF_INET6 : AF_INET, bytes.data(), canonical, sizeof(canonical));
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} '{}' has host bits set; did you mean '{}/{}'?", what, text,
                             canonical, prefix)};
  }
  return cidr;
}

util::Result<std::string> parseMac(std::string_view text, std::string_view what) {
  const std::string_view expected = "a unicast MAC address (six hex pairs, e.g. 52:54:00:12:34:56)";
  if (text.size() != 17) {
    return invalid(what, text, expected);
  }
  std::string mac;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i % 3 == 2) {
      if (c != ':') {
        return invalid(what, text, expected);
      }
    } else if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return invalid(what, text, expected);
    }
    mac.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  const int first = std::stoi(mac.substr(0, 2), nullptr, 16);
  if ((first & 1) != 0) {
    return invalid(what, text, expected);
  }
  return mac;
}

util::Status checkVlan(std::int64_t vlan, std::string_view what) {
  if (vlan < 1 || vlan > 4094) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} '{}' is not a VLAN id (1-4094)", what, vlan)};
  }
  return util::ok();
}

util::Status checkOvnName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 64 || !nameCharacters(name) ||
      std::isalnum(static_cast<unsigned char>(name.front())) == 0) {
    return invalid(what, name,
                   "a valid name (1-64 letters, digits, '_', '.', '-', starting with a letter or "
                   "digit)");
  }
  return util::ok();
}

util::Status checkDeviceName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 15 || !nameCharacters(name) || name == "." || name == "..") {
    return invalid(what, name, "a valid device name (1-15 letters, digits, '_', '.', '-')");
  }
  return util::ok();
}

util::Status checkMatch(std::string_view match, std::string_view what) {
  const bool printable = std::all_of(match.begin(), match.end(), [](char c) {
    return std::isprint(static_cast<unsigned char>(c)) != 0;
  });
  const bool blank = std::all_of(match.begin(), match.end(), [](char c) { return c == ' '; });
  if (match.empty() || blank || match.size() > 1024 || !printable) {
    return invalid(what, match, "an OVN match expression (printable, 1-1024 characters)");
  }
  return util::ok();
}

util::Result<std::vector<std::string>> parseAddressList(std::string_view text,
                                                        std::string_view what) {
  std::vector<std::string> out;
  for (const auto part : splitComma(text)) {
    if (part.find('/') != std::string_view::npos) {
      auto cidr = parseCidr(part, what, false);
      if (!cidr) {
        return cidr.error();
      }
      out.push_back(cidr->toString());
      continue;
    }
    auto ip = parseIp(part, what);
    if (!ip) {
      return ip.error();
    }
    out.push_back(ip->text);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

util::Result<std::string> parseExcludeIps(std::string_view text, std::string_view what) {
  std::vector<std::string> out;
  for (const auto part : splitComma(text)) {
    const auto dots = part.find("..");
    if (dots == std::string_view::npos) {
      auto ip = parseIp(part, what);
      if (!ip) {
        return ip.error();
      }
      out.push_back(ip->text);
      continue;
    }
    auto low = parseIp(part.substr(0, dots), what);
    auto high = parseIp(part.substr(dots + 2), what);
    if (!low || !high || low->v6 != high->v6 || compareIp(*low, *high) > 0) {
      return invalid(what, part, "an address range 'low..high' with low <= high");
    }
    out.push_back(fmt::format("{}..{}", low->text, high->text));
  }
  return fmt::format("{}", fmt::join(out, " "));
}

std::string randomRouterMac() {
  static thread_local std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<int> byte(0, 255);
  return fmt::format("00:60:2f:{:02x}:{:02x}:{:02x}", byte(engine), byte(engine), byte(engine));
}

}  // namespace univirt::ovnctl
