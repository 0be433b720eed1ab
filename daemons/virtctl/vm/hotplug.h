#pragma once

// Attach, detach and update of one device XML on a domain with virsh's flag semantics, shared
// by plugDevice/plugDisk/plugNIC, their unplug twins, manageISO and the VNC password rows.

#include <functional>
#include <string>
#include <string_view>

#include "core/lifecycle/operation.h"
#include "core/util/result.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {

enum class DeviceChange { Attach, Detach, Update };

// Applies `device_xml` with the request's live/config/current/persistent flags (plus
// `extra_flags`, e.g. VIR_DOMAIN_DEVICE_MODIFY_FORCE) and returns the outcome message: empty,
// or the next-boot note when only the definition of a running domain changed.
util::Result<std::string> changeDevice(OwnedDomain& owned, const lifecycle::Params& params,
                                       DeviceChange change, const std::string& device_xml,
                                       unsigned int extra_flags = 0);

// After a live detach: libvirt returns once QEMU asked the guest to release the device, but
// the device stays until the guest acknowledges (an OS must answer the ACPI eject). Returns a
// sentence saying so when `still_present` finds the device in the live definition, else "".
std::string detachPendingNote(
    const OwnedDomain& owned,
    const std::function<bool(const std::string& live_xml)>& still_present);

// The domain XML the request's flags address: the persistent definition when only 'config'
// (or the domain is off), else the live one.
util::Result<std::string> addressedXml(const OwnedDomain& owned, const lifecycle::Params& params);

}  // namespace univirt::virtctl::vm
