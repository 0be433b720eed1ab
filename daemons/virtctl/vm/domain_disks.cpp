#include "virtctl/vm/domain_disks.h"

#include <algorithm>
#include <cctype>

#include <pugixml.hpp>

#include "virtctl/vm/device_xml.h"

namespace univirt::virtctl::vm {
namespace {

util::Result<pugi::xml_node> devicesOf(pugi::xml_document& doc, std::string_view domain_xml) {
  if (!doc.load_buffer(domain_xml.data(), domain_xml.size())) {
    return util::Error{util::ErrorCode::Internal,
                       "libvirt returned domain XML that does not parse"};
  }
  return doc.document_element().child("devices");
}

}  // namespace

util::Result<std::vector<DomainDisk>> listDomainDisks(std::string_view domain_xml) {
  pugi::xml_document doc;
  auto devices = devicesOf(doc, domain_xml);
  if (!devices) {
    return devices.error();
  }
  std::vector<DomainDisk> disks;
  for (const pugi::xml_node disk : devices->children("disk")) {
    const pugi::xml_node source = disk.child("source");
    std::string path = source.attribute("file").value();
    if (path.empty()) {
      path = source.attribute("dev").value();
    }
    disks.push_back({.type = disk.attribute("type").value(),
                     .device = disk.attribute("device").as_string("disk"),
                     .source = path,
                     .target = disk.child("target").attribute("dev").value(),
                     .bus = disk.child("target").attribute("bus").value(),
                     .format = disk.child("driver").attribute("type").value(),
                     .cache = disk.child("driver").attribute("cache").value()});
  }
  return disks;
}

const DomainDisk* findDisk(const std::vector<DomainDisk>& disks, std::string_view name) {
  const auto it = std::find_if(disks.begin(), disks.end(), [&](const DomainDisk& disk) {
    return disk.target == name || (!disk.source.empty() && disk.source == name);
  });
  return it == disks.end() ? nullptr : &*it;
}

util::Result<std::vector<DomainInterface>> listDomainInterfaces(std::string_view domain_xml) {
  pugi::xml_document doc;
  auto devices = devicesOf(doc, domain_xml);
  if (!devices) {
    return devices.error();
  }
  std::vector<DomainInterface> interfaces;
  for (const pugi::xml_node nic : devices->children("interface")) {
    interfaces.push_back({.type = nic.attribute("type").value(),
                          .mac = nic.child("mac").attribute("address").value(),
                          .target = nic.child("target").attribute("dev").value()});
  }
  return interfaces;
}

namespace {

template <typename Predicate>
std::string elementXml(std::string_view domain_xml, const char* element, Predicate matches) {
  pugi::xml_document doc;
  auto devices = devicesOf(doc, domain_xml);
  if (!devices) {
    return {};
  }
  for (const pugi::xml_node node : devices->children(element)) {
    if (matches(node)) {
      return renderNode(node);
    }
  }
  return {};
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string diskElementXml(std::string_view domain_xml, std::string_view target_or_source) {
  return elementXml(domain_xml, "disk", [&](const pugi::xml_node& disk) {
    const pugi::xml_node source = disk.child("source");
    return disk.child("target").attribute("dev").value() == target_or_source ||
           source.attribute("file").value() == target_or_source ||
           source.attribute("dev").value() == target_or_source;
  });
}

std::string interfaceElementXml(std::string_view domain_xml, std::string_view mac) {
  return elementXml(domain_xml, "interface", [&](const pugi::xml_node& nic) {
    return equalsIgnoringCase(nic.child("mac").attribute("address").value(), mac);
  });
}

std::string graphicsElementXml(std::string_view domain_xml, std::string_view type) {
  return elementXml(domain_xml, "graphics", [&](const pugi::xml_node& graphics) {
    return graphics.attribute("type").value() == type;
  });
}

}  // namespace univirt::virtctl::vm
