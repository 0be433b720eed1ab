#include "virtmonitor/nic_macs.h"

#include <set>

#include <pugixml.hpp>

namespace univirt::virtmonitor {

std::map<std::string, std::string> nicMacsOf(const std::string& domain_xml) {
  std::map<std::string, std::string> macs;
  pugi::xml_document doc;
  if (!doc.load_string(domain_xml.c_str())) {
    return macs;
  }
  for (pugi::xml_node nic : doc.child("domain").child("devices").children("interface")) {
    const std::string dev = nic.child("target").attribute("dev").as_string();
    const std::string mac = nic.child("mac").attribute("address").as_string();
    if (!dev.empty() && !mac.empty()) {
      macs.emplace(dev, mac);
    }
  }
  return macs;
}

void NicMacs::update(const virt::Connection& connection, const std::vector<DomainStats>& domains) {
  std::set<std::string> present;
  for (const DomainStats& domain : domains) {
    present.insert(domain.uuid);
    auto known = table_.find(domain.uuid);
    bool complete = known != table_.end();
    for (const DeviceStats& nic : domain.nets) {
      complete = complete && known->second.contains(nic.name);
    }
    if (complete || domain.nets.empty()) {
      continue;
    }
    auto found = connection.lookupDomainByUuid(domain.uuid);
    if (!found.has_value()) {
      continue;
    }
    auto xml = found->xml();
    if (!xml.has_value()) {
      continue;
    }
    table_.insert_or_assign(domain.uuid, nicMacsOf(*xml));
  }
  std::erase_if(table_, [&present](const auto& entry) { return !present.contains(entry.first); });
}

}  // namespace univirt::virtmonitor
