#pragma once

// The disks of a domain, read from its XML: what deleteVM, plugDisk, setBootOrder, resizeVM,
// manageISO and updateOS look things up in.

#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace univirt::virtctl::vm {

struct DomainDisk {
  std::string type;    // file | block | network | volume
  std::string device;  // disk | cdrom | floppy | lun
  std::string source;  // file or dev path; empty for an empty cdrom or a network disk
  std::string target;  // vda
  std::string bus;
  std::string format;  // driver type
  std::string cache;
};

util::Result<std::vector<DomainDisk>> listDomainDisks(std::string_view domain_xml);

// The disk whose target or source is `name`; nullptr if none.
const DomainDisk* findDisk(const std::vector<DomainDisk>& disks, std::string_view name);

struct DomainInterface {
  std::string type;
  std::string mac;
  std::string target;  // host-side device name, when libvirt assigned one
};

util::Result<std::vector<DomainInterface>> listDomainInterfaces(std::string_view domain_xml);

// The whole XML element of one device, as virDomainUpdateDeviceFlags/DetachDeviceFlags take
// it; empty when the domain has no such device.
std::string diskElementXml(std::string_view domain_xml, std::string_view target_or_source);
std::string interfaceElementXml(std::string_view domain_xml, std::string_view mac);
std::string graphicsElementXml(std::string_view domain_xml, std::string_view type);

}  // namespace univirt::virtctl::vm
