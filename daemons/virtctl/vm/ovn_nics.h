#pragma once

// The OVN side of a VM NIC of type l3bridge (crd-contract §3.1 plugNIC, §3.6 bind-swport):
// the NIC is an Open vSwitch port (<virtualport type='openvswitch'/>) and is bound to a logical
// switch port through ovnctl::VmNetwork after libvirt attached or defined it; unplugNIC and
// deleteVM remove the binding. The binding recorded in the northbound database is univirt's
// record of the NIC (upstream also wrote <vm>-nic-<mac>.cfg).

#include <string>
#include <string_view>

#include "core/util/result.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::vm {

// InvalidArgument naming --ovn-nb when virtctl runs without a northbound endpoint; `what`
// names the request part ("NIC type 'l3bridge'").
util::Status requireNorthbound(const VmOperationDeps& deps, std::string_view what);

// Syntax of an l3bridge NIC's switch name and ip ("", "dynamic" or an address), before
// anything runs.
util::Status checkL3Nic(std::string_view switch_name, std::string_view ip);

// The domain's name is part of the port's and must be an OVN name (at most 64 characters).
util::Status checkL3Domain(std::string_view domain);

// Binds `mac` of `domain` to a port on `switch_name`; returns the logical switch port's name.
util::Result<std::string> bindL3Nic(const VmOperationDeps& deps, const std::string& domain,
                                    const std::string& switch_name, const std::string& ip,
                                    const std::string& mac);

// Whether the domain XML (or one <interface> element) has an Open vSwitch NIC
// (<virtualport type='openvswitch'/>): only those can carry a binding.
bool hasOvsInterface(const std::string& xml);

// Removes the binding of `mac` (port and record); 0 when there was none.
util::Result<int> unbindNic(const VmOperationDeps& deps, const std::string& mac);

// Removes every binding recorded for `domain`; the number removed.
util::Result<int> unbindDomainNics(const VmOperationDeps& deps, const std::string& domain);

}  // namespace univirt::virtctl::vm
