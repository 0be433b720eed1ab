#include "virtctl/vm/state_params.h"

#include <array>
#include <sstream>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>

#include "virtctl/vm/owner_metadata.h"

namespace univirt::virtctl::vm {
namespace {

using util::Error;
using util::ErrorCode;

bool isIpv6(const std::string& text) {
  std::array<unsigned char, sizeof(in6_addr)> buffer{};
  return inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

bool isIpAddress(const std::string& text) {
  std::array<unsigned char, sizeof(in6_addr)> buffer{};
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 || isIpv6(text);
}

std::string expand(const std::string& pattern, const std::string& host) {
  std::string result = pattern;
  const auto at = result.find("{}");
  if (at != std::string::npos) {
    result.replace(at, 2, host);
  }
  return result;
}

}  // namespace

util::Result<SavedDomainIdentity> savedDomainIdentity(std::string_view domain_xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(domain_xml.data(), domain_xml.size()) ||
      std::string_view(doc.document_element().name()) != "domain") {
    return Error{ErrorCode::InvalidArgument, "the saved image holds no domain XML"};
  }
  const pugi::xml_node domain = doc.document_element();
  SavedDomainIdentity identity{.name = domain.child("name").text().as_string(),
                               .owner_namespace = {}};
  for (const pugi::xml_node element : domain.child("metadata").children()) {
    std::ostringstream text;
    element.print(text, "", pugi::format_raw);
    if (auto metadata = parseVmMetadata(text.str())) {
      identity.owner_namespace = metadata->owner_namespace;
    }
  }
  return identity;
}

util::Result<MigrationPlan> planMigration(const lifecycle::Params& params,
                                          const std::vector<DomainDisk>& disks, bool domain_active,
                                          const VmNodeSettings& settings) {
  const std::string ip = params.string("ip");
  if (!isIpAddress(ip)) {
    return Error{ErrorCode::InvalidArgument, fmt::format("'{}' is not an IP address", ip)};
  }
  const bool offline = params.flag("offline");
  if (!offline && !domain_active) {
    return Error{ErrorCode::InvalidArgument,
                 "the domain is not running; a live migration needs a running domain (set "
                 "'offline' to move a shut-off one)"};
  }
  for (const DomainDisk& disk : disks) {
    if (disk.device == "disk" && disk.cache != "none") {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("disk '{}' uses cache '{}'; migration needs cache='none' on every "
                               "disk",
                               disk.target, disk.cache.empty() ? "default" : disk.cache)};
    }
  }
  const std::string host = isIpv6(ip) ? fmt::format("[{}]", ip) : ip;
  MigrationPlan plan;
  plan.connect_uri = expand(settings.migration_connect_uri, host);
  plan.flags = VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;
  if (offline) {
    plan.flags |= VIR_MIGRATE_OFFLINE;
  } else {
    plan.flags |= VIR_MIGRATE_LIVE;
    plan.data_uri = expand(settings.migration_data_uri, host);
  }
  return plan;
}

lifecycle::ParamValidator ipAddressValidator() {
  return
      [](const lifecycle::ParamValue& value, const lifecycle::ValidationContext&) -> util::Status {
        const auto* text = std::get_if<std::string>(&value);
        if (text == nullptr || !isIpAddress(*text)) {
          return Error{ErrorCode::InvalidArgument, "expected an IPv4 or IPv6 address"};
        }
        return util::ok();
      };
}

}  // namespace univirt::virtctl::vm
