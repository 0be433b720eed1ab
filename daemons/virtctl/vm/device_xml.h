#pragma once

// Device XML for the domain builder and the hot-plug operations (plugDisk, plugNIC,
// setVncPassword): the elements upstream's virshplus wrote, built with an XML library.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pugixml.hpp>

namespace univirt::virtctl::vm {

struct DiskDevice {
  std::string type = "file";    // file | block
  std::string device = "disk";  // disk | cdrom | floppy | lun
  std::string driver_name = "qemu";
  std::string driver_type = "qcow2";
  std::string cache;   // empty: libvirt's default
  std::string source;  // empty: no medium (an empty cdrom)
  std::string target;  // vda, sdb, hdc
  std::string bus;     // empty: from the target prefix (busForTarget)
  bool readonly = false;
  bool shareable = false;
  std::optional<unsigned int> boot_order;
  // <iotune> children in order, e.g. {"read_bytes_sec", 1048576}.
  std::vector<std::pair<std::string, std::uint64_t>> iotune;
};

struct InterfaceDevice {
  // bridge | l2bridge (OVS bridge) | l3bridge (OVS bridge, bound to OVN) | user
  std::string type = "bridge";
  std::string source;  // bridge name
  std::string mac;     // empty: libvirt assigns one
  std::string model = "virtio";
  std::string target_dev;  // empty: libvirt names it
  std::string vlan;        // tag id
  std::string inbound;     // average KiB/s
  std::string outbound;
};

// vd* → virtio, sd* → scsi, hd* → ide, fd* → fdc; empty for anything else.
std::string busForTarget(std::string_view target);

pugi::xml_node appendDisk(pugi::xml_node devices, const DiskDevice& disk);
pugi::xml_node appendInterface(pugi::xml_node devices, const InterfaceDevice& nic);

// The device alone, as virDomainAttachDeviceFlags takes it.
std::string renderDisk(const DiskDevice& disk);
std::string renderInterface(const InterfaceDevice& nic);

// Indented XML of a node (and its children), without declaration.
std::string renderNode(const pugi::xml_node& node);

// Upstream's interface target name for a MAC: "fe" + the MAC without colons, first octet
// dropped (52:54:00:12:34:56 → fe5400123456).
std::string targetDevForMac(std::string_view mac);

// A random locally administered MAC in QEMU's 52:54:00 prefix.
std::string randomMac();

}  // namespace univirt::virtctl::vm
