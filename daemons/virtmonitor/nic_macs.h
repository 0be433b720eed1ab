#pragma once

// NicMacs: the MAC address of each domain's NICs by target device, for the upstream family,
// whose NIC `device` label is the MAC (the bulk call names NICs only by target device, vnet0).
// A domain's XML is read once, when it or one of its NICs is first seen, never per refresh.

#include <map>
#include <string>
#include <vector>

#include "core/virt/connection.h"
#include "virtmonitor/domain_stats.h"

namespace univirt::virtmonitor {

// Domain UUID → target device → MAC.
using MacTable = std::map<std::string, std::map<std::string, std::string>>;

class NicMacs {
 public:
  // Reads the XML of the domains in `domains` with a NIC not yet known; forgets domains no
  // longer present. A domain whose XML cannot be read is tried again next time.
  void update(const virt::Connection& connection, const std::vector<DomainStats>& domains);
  const MacTable& table() const { return table_; }

 private:
  MacTable table_;
};

// <interface><mac address=…/><target dev=…/></interface> pairs of a domain XML.
std::map<std::string, std::string> nicMacsOf(const std::string& domain_xml);

}  // namespace univirt::virtmonitor
