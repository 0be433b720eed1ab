#include "virtctl/vm/ovn_nics.h"

#include <fmt/format.h>
#include <pugixml.hpp>

#include "ovnctl/validation.h"
#include "ovnctl/vm_ports.h"

namespace univirt::virtctl::vm {

using util::Error;
using util::ErrorCode;

util::Status requireNorthbound(const VmOperationDeps& deps, std::string_view what) {
  if (!deps.ovn_northbound.empty()) {
    return util::ok();
  }
  return Error{ErrorCode::InvalidArgument,
               fmt::format("{} needs the OVN northbound database, but virtctl runs without one; "
                           "start it with --ovn-nb (UNIVIRT_OVN_NB), e.g. "
                           "'unix:/var/run/ovn/ovnnb_db.sock'. Nothing was changed",
                           what)};
}

util::Status checkL3Nic(std::string_view switch_name, std::string_view ip) {
  if (switch_name.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 "NIC type 'l3bridge' needs 'switch' (the OVN logical switch to bind to)"};
  }
  if (auto valid = ovnctl::checkOvnName(switch_name, "switch"); !valid) {
    return valid.error();
  }
  if (!ip.empty() && ip != "dynamic") {
    if (auto parsed = ovnctl::parseIp(ip, "ip"); !parsed) {
      return parsed.error();
    }
  }
  return util::ok();
}

util::Status checkL3Domain(std::string_view domain) {
  if (auto valid = ovnctl::checkOvnName(domain, "domain"); !valid) {
    return valid.error().withContext("a VM with an l3bridge NIC");
  }
  return util::ok();
}

bool hasOvsInterface(const std::string& xml) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str())) {
    return false;
  }
  return static_cast<bool>(doc.select_node("//interface/virtualport[@type='openvswitch']"));
}

namespace {

util::Result<ovnctl::VmNetwork> openNetwork(const VmOperationDeps& deps) {
  if (auto required = requireNorthbound(deps, "the OVN binding of an l3bridge NIC"); !required) {
    return required.error();
  }
  return ovnctl::VmNetwork::open(deps.ovn_northbound, deps.ovs_db);
}

}  // namespace

util::Result<std::string> bindL3Nic(const VmOperationDeps& deps, const std::string& domain,
                                    const std::string& switch_name, const std::string& ip,
                                    const std::string& mac) {
  auto network = openNetwork(deps);
  if (!network) {
    return network.error();
  }
  auto bound = network->bind({.domain = domain,
                              .type = "l3bridge",
                              .switch_name = switch_name,
                              .ip = ip.empty() ? std::string("dynamic") : ip,
                              .mac = mac});
  if (!bound) {
    return bound.error();
  }
  return bound->port;
}

util::Result<int> unbindNic(const VmOperationDeps& deps, const std::string& mac) {
  auto network = openNetwork(deps);
  if (!network) {
    return network.error();
  }
  return network->unbind(mac);
}

util::Result<int> unbindDomainNics(const VmOperationDeps& deps, const std::string& domain) {
  auto network = openNetwork(deps);
  if (!network) {
    return network.error();
  }
  auto recorded = network->bindings(domain);
  if (!recorded) {
    return recorded.error();
  }
  int removed = 0;
  for (const ovnctl::RecordedBinding& binding : *recorded) {
    auto unbound = network->unbind(binding.mac);
    if (!unbound) {
      return unbound.error().withContext(
          fmt::format("removing the OVN binding of NIC '{}'", binding.mac));
    }
    removed += *unbound > 0 ? 1 : 0;
  }
  return removed;
}

}  // namespace univirt::virtctl::vm
