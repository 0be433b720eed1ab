#include "virtctl/vm/hotplug.h"

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/virt/virt_error.h"

namespace univirt::virtctl::vm {

util::Result<std::string> changeDevice(OwnedDomain& owned, const lifecycle::Params& params,
                                       DeviceChange change, const std::string& device_xml,
                                       unsigned int extra_flags) {
  auto active = owned.domain.isActive();
  if (!active) {
    return active.error();
  }
  auto flags = affectFlags(params, *active);
  if (!flags) {
    return flags.error();
  }
  const unsigned int all_flags = *flags | extra_flags;
  int rc = 0;
  const char* verb = "";
  switch (change) {
    case DeviceChange::Attach:
      rc = virDomainAttachDeviceFlags(owned.domain.get(), device_xml.c_str(), all_flags);
      verb = "attaching a device to";
      break;
    case DeviceChange::Detach:
      rc = virDomainDetachDeviceFlags(owned.domain.get(), device_xml.c_str(), all_flags);
      verb = "detaching a device from";
      break;
    case DeviceChange::Update:
      rc = virDomainUpdateDeviceFlags(owned.domain.get(), device_xml.c_str(), all_flags);
      verb = "updating a device of";
      break;
  }
  if (rc < 0) {
    return virt::lastError(fmt::format("{} domain '{}'", verb, owned.domain.name()));
  }
  return nextBootNote(*active, *flags);
}

std::string detachPendingNote(
    const OwnedDomain& owned,
    const std::function<bool(const std::string& live_xml)>& still_present) {
  auto active = owned.domain.isActive();
  if (!active || !*active) {
    return {};
  }
  auto live = owned.domain.xml(0);
  if (!live || !still_present(*live)) {
    return {};
  }
  return "the guest has not released the device yet; libvirt removes it from the running "
         "domain when the guest acknowledges the unplug";
}

util::Result<std::string> addressedXml(const OwnedDomain& owned, const lifecycle::Params& params) {
  auto active = owned.domain.isActive();
  if (!active) {
    return active.error();
  }
  auto flags = affectFlags(params, *active);
  if (!flags) {
    return flags.error();
  }
  const bool config_only = !*active || ((*flags & VIR_DOMAIN_AFFECT_CONFIG) != 0 &&
                                        (*flags & VIR_DOMAIN_AFFECT_LIVE) == 0);
  return owned.domain.xml(config_only ? VIR_DOMAIN_XML_INACTIVE : 0);
}

}  // namespace univirt::virtctl::vm
