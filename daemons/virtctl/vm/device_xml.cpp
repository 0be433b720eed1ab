#include "virtctl/vm/device_xml.h"

#include <random>
#include <sstream>

#include <fmt/format.h>

namespace univirt::virtctl::vm {

std::string busForTarget(std::string_view target) {
  if (target.starts_with("vd")) {
    return "virtio";
  }
  if (target.starts_with("sd")) {
    return "scsi";
  }
  if (target.starts_with("hd")) {
    return "ide";
  }
  if (target.starts_with("fd")) {
    return "fdc";
  }
  return {};
}

pugi::xml_node appendDisk(pugi::xml_node devices, const DiskDevice& disk) {
  pugi::xml_node node = devices.append_child("disk");
  node.append_attribute("type") = disk.type.c_str();
  node.append_attribute("device") = disk.device.c_str();
  pugi::xml_node driver = node.append_child("driver");
  driver.append_attribute("name") = disk.driver_name.c_str();
  driver.append_attribute("type") = disk.driver_type.c_str();
  if (!disk.cache.empty()) {
    driver.append_attribute("cache") = disk.cache.c_str();
  }
  if (!disk.source.empty()) {
    node.append_child("source").append_attribute(disk.type == "block" ? "dev" : "file") =
        disk.source.c_str();
  }
  pugi::xml_node target = node.append_child("target");
  target.append_attribute("dev") = disk.target.c_str();
  const std::string bus = disk.bus.empty() ? busForTarget(disk.target) : disk.bus;
  if (!bus.empty()) {
    target.append_attribute("bus") = bus.c_str();
  }
  if (disk.readonly) {
    node.append_child("readonly");
  }
  if (disk.shareable) {
    node.append_child("shareable");
  }
  if (disk.boot_order) {
    node.append_child("boot").append_attribute("order") = *disk.boot_order;
  }
  if (!disk.iotune.empty()) {
    pugi::xml_node iotune = node.append_child("iotune");
    for (const auto& [name, value] : disk.iotune) {
      iotune.append_child(name.c_str()).text().set(static_cast<unsigned long long>(value));
    }
  }
  return node;
}

pugi::xml_node appendInterface(pugi::xml_node devices, const InterfaceDevice& nic) {
  pugi::xml_node node = devices.append_child("interface");
  node.append_attribute("type") = nic.type == "user" ? "user" : "bridge";
  if (!nic.mac.empty()) {
    node.append_child("mac").append_attribute("address") = nic.mac.c_str();
  }
  if (nic.type != "user") {
    node.append_child("source").append_attribute("bridge") = nic.source.c_str();
  }
  if (nic.type == "l2bridge" || nic.type == "l3bridge") {
    node.append_child("virtualport").append_attribute("type") = "openvswitch";
  }
  if (!nic.target_dev.empty()) {
    node.append_child("target").append_attribute("dev") = nic.target_dev.c_str();
  }
  node.append_child("model").append_attribute("type") = nic.model.c_str();
  if (!nic.vlan.empty()) {
    node.append_child("vlan").append_child("tag").append_attribute("id") = nic.vlan.c_str();
  }
  if (!nic.inbound.empty() || !nic.outbound.empty()) {
    pugi::xml_node bandwidth = node.append_child("bandwidth");
    if (!nic.inbound.empty()) {
      bandwidth.append_child("inbound").append_attribute("average") = nic.inbound.c_str();
    }
    if (!nic.outbound.empty()) {
      bandwidth.append_child("outbound").append_attribute("average") = nic.outbound.c_str();
    }
  }
  return node;
}

std::string renderNode(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "  ", pugi::format_indent | pugi::format_no_declaration);
  return out.str();
}

std::string renderDisk(const DiskDevice& disk) {
  pugi::xml_document doc;
  return renderNode(appendDisk(doc, disk));
}

std::string renderInterface(const InterfaceDevice& nic) {
  pugi::xml_document doc;
  return renderNode(appendInterface(doc, nic));
}

std::string targetDevForMac(std::string_view mac) {
  std::string compact;
  for (const char c : mac) {
    if (c != ':') {
      compact.push_back(c);
    }
  }
  return "fe" + (compact.size() > 2 ? compact.substr(2) : compact);
}

std::string randomMac() {
  std::random_device device;
  std::uniform_int_distribution<int> octet(0, 255);
  return fmt::format("52:54:00:{:02x}:{:02x}:{:02x}", octet(device), octet(device), octet(device));
}

}  // namespace univirt::virtctl::vm
