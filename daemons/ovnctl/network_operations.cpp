#include "ovnctl/network_operations.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "ovnctl/detail/network_rows.h"
#include "ovnctl/northbound.h"
#include "ovnctl/vm_ports.h"
#include "ovnctl/vswitch.h"

namespace univirt::ovnctl {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;
using lifecycle::Refreshed;

const util::ConfigOption kOptions[] = {
    {.name = "ovn-nb",
     .env = "UNIVIRT_OVN_NB",
     .flag = "--ovn-nb",
     .default_value = kDefaultNorthbound,
     .help = "OVN northbound database for VirtualMachineNetwork requests: unix:PATH or "
             "tcp:HOST:PORT (e.g. kube-ovn's tcp:ovn-nb.kube-system:6641)"},
    {.name = "ovs-db",
     .env = "UNIVIRT_OVS_DB",
     .flag = "--ovs-db",
     .default_value = kDefaultOvsDb,
     .help = "this node's Open_vSwitch database for bridges and VLAN tags; empty: none"},
};

}  // namespace

namespace detail {

util::Result<Northbound> northbound(const NetworkOperationDeps& deps) {
  auto endpoint = parseEndpoint(deps.northbound);
  if (!endpoint) {
    return endpoint.error().withContext("the OVN northbound endpoint (--ovn-nb)");
  }
  return Northbound(OvsdbClient(*endpoint, "OVN_Northbound", deps.timeout));
}

util::Result<std::optional<Vswitch>> vswitch(const NetworkOperationDeps& deps) {
  if (deps.ovs_db.empty()) {
    return std::optional<Vswitch>();
  }
  auto endpoint = parseEndpoint(deps.ovs_db);
  if (!endpoint) {
    return endpoint.error().withContext("the Open_vSwitch endpoint (--ovs-db)");
  }
  return std::optional<Vswitch>(Vswitch(OvsdbClient(*endpoint, "Open_vSwitch", deps.timeout)));
}

util::Result<Vswitch> requireVswitch(const NetworkOperationDeps& deps) {
  auto ovs = vswitch(deps);
  if (!ovs) {
    return ovs.error();
  }
  if (!ovs->has_value()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       "this operation needs the Open_vSwitch database (--ovs-db); none is "
                       "configured"};
  }
  return std::move(**ovs);
}

std::optional<std::int64_t> optionalInt(const lifecycle::Params& params, std::string_view name) {
  if (!params.has(name)) {
    return std::nullopt;
  }
  return params.integer(name);
}

Direction directionOf(const lifecycle::Params& params) {
  return params.string("type") == "to" ? Direction::To : Direction::From;
}

util::Result<Outcome> fromStatus(const util::Status& status, bool deleted) {
  if (!status) {
    return status.error();
  }
  Outcome outcome;
  outcome.object_deleted = deleted;
  return outcome;
}

Refreshed refreshed(nlohmann::json data, const char* type, const NetworkOperationDeps& deps) {
  Refreshed out;
  out.spec_fields = {{"data", std::move(data)},
                     {"type", type},
                     {"nodeName", deps.node_name},
                     {"powerstate", "Ready"}};
  return out;
}

lifecycle::Refresh refreshFor(Query query, const NetworkOperationDeps& deps) {
  switch (query) {
    case Query::Deleted:
      return {};
    case Query::L3:
      return [&deps](const Invocation& invocation) -> util::Result<Refreshed> {
        auto nb = northbound(deps);
        if (!nb) {
          return nb.error();
        }
        auto info = nb->networkInfo(invocation.name);
        if (!info) {
          return info.error();
        }
        return refreshed(std::move(*info), "l3network", deps);
      };
    case Query::L2OfName:
    case Query::L2OfBridgeParam:
      return [&deps, query](const Invocation& invocation) -> util::Result<Refreshed> {
        auto ovs = requireVswitch(deps);
        if (!ovs) {
          return ovs.error();
        }
        const std::string bridge =
            query == Query::L2OfName ? invocation.name : invocation.params.string("name");
        auto info = ovs->bridgeInfo(bridge);
        if (!info) {
          return info.error();
        }
        return refreshed(std::move(*info), "l2network", deps);
      };
  }
  return {};
}

ParamSpec injected(std::string name, std::string what) {
  return {.name = std::move(name),
          .type = ParamType::String,
          .required = true,
          .help = fmt::format("{}; always the object's name (injected)", what)};
}

ParamSpec text(std::string name, bool required, std::string help) {
  return {.name = std::move(name),
          .type = ParamType::String,
          .required = required,
          .help = std::move(help)};
}

ParamSpec integer(std::string name, bool required, std::int64_t min, std::int64_t max,
                  std::string help) {
  return {.name = std::move(name),
          .type = ParamType::Integer,
          .required = required,
          .min = min,
          .max = max,
          .help = std::move(help)};
}

ParamSpec flag(std::string name, std::string help) {
  return {.name = std::move(name), .type = ParamType::Boolean, .help = std::move(help)};
}

ParamSpec vlanParam(std::string name, bool required, std::string help) {
  return integer(std::move(name), required, 1, 4094, std::move(help));
}

ParamSpec typeParam() {
  return {.name = "type",
          .type = ParamType::String,
          .required = true,
          .allowed = {"from", "to"},
          .help = "from: traffic leaving the VM (from-lport); to: traffic to it (to-lport)"};
}

ParamSpec priorityParam() {
  return integer("priority", false, 0, 32767, "rule priority (default 100)");
}

util::Result<Outcome> withNorthbound(
    const NetworkOperationDeps& deps,
    const std::function<util::Result<Outcome>(const Northbound&)>& body) {
  auto nb = northbound(deps);
  if (!nb) {
    return nb.error();
  }
  return body(*nb);
}

util::Result<Outcome> withVswitch(const NetworkOperationDeps& deps,
                                  const std::function<util::Status(const Vswitch&)>& body,
                                  bool deleted) {
  auto ovs = requireVswitch(deps);
  if (!ovs) {
    return ovs.error();
  }
  return fromStatus(body(*ovs), deleted);
}

AclRequest aclOf(const Invocation& invocation) {
  const auto& p = invocation.params;
  const std::string op = p.string("operator");
  return {.switch_name = p.string("swName"),
          .vm_mac = p.string("vmmac"),
          .direction = directionOf(p),
          .rule = p.string("rule"),
          .action = op == "allow" ? "allow-related" : op,
          .priority = p.integer("priority", 100)};
}

QosRequest qosOf(const Invocation& invocation) {
  const auto& p = invocation.params;
  return {.switch_name = p.string("swName"),
          .direction = directionOf(p),
          .rule = p.string("rule"),
          .rate = optionalInt(p, "rate"),
          .burst = optionalInt(p, "burst"),
          .priority = p.integer("priority", 100)};
}

std::vector<ParamSpec> aclParams(bool with_operator_required) {
  return {injected("domain", "unused (upstream parses it)"),
          text("swName", true, "logical switch holding the ACL"),
          text("vmmac", true, "MAC of the VM NIC; the ACL applies to its port"),
          typeParam(),
          text("rule", true, "OVN match fragment, e.g. tcp.dst == 80 (combined with the port)"),
          {.name = "operator",
           .type = ParamType::String,
           .required = with_operator_required,
           .allowed = {"allow", "drop"},
           .help = "allow (allow-related) or drop"},
          priorityParam()};
}

std::vector<ParamSpec> qosParams(bool rate_required) {
  return {injected("domain", "unused (upstream parses it)"),
          text("swName", true, "logical switch holding the rule"),
          typeParam(),
          text("rule", true, "full OVN match, e.g. ip4.src == 10.0.0.5"),
          integer("rate", rate_required, 1, 4294967295LL, "rate limit in kbps"),
          integer("burst", false, 1, 4294967295LL, "burst in kbps"),
          priorityParam()};
}

std::vector<ParamSpec> switchParams() {
  return {injected("name", "logical switch name"),
          text("dhcp", false, "new router port address / DHCP server_id"),
          text("gateway", false, "new DHCP router option"),
          integer("mtu", false, 68, 65535, "new DHCP mtu option"),
          text("dnsServer", false, "new DHCP dns_server (omitted: kept)"),
          vlanParam("vlanId", false, "new VLAN tag of the localnet uplink"),
          flag("ipv6", "accepted for compatibility; the family follows the switch's subnet")};
}

util::Result<Outcome> modifySwitch(const Invocation& invocation, const NetworkOperationDeps& deps) {
  const auto& p = invocation.params;
  return withNorthbound(deps, [&](const Northbound& nb) {
    return fromStatus(nb.modifySwitch({.name = invocation.name,
                                       .dhcp = p.string("dhcp"),
                                       .gateway = p.string("gateway"),
                                       .mtu = optionalInt(p, "mtu"),
                                       .dns_server = p.string("dnsServer"),
                                       .vlan_id = optionalInt(p, "vlanId")}));
  });
}

std::vector<Row> rows() {
  std::vector<Row> out;
  out.push_back(
      {"createSwitch",
       "name",
       "Create a logical switch with its subnet (and router, DHCP, uplink)",
       {injected("name", "logical switch name (router: <name>-router)"),
        text("subnet", true, "the switch's network, e.g. 192.168.1.0/24"),
        text("dhcp", false, "router port address = DHCP server_id; without it no router or DHCP"),
        text("gateway", false, "DHCP router option (default: the dhcp address)"),
        integer("mtu", false, 68, 65535, "DHCP mtu option (default 1500)"),
        text("bridge", false, "OVS bridge of a localnet uplink (needs dhcp)"),
        vlanParam("vlanId", false, "VLAN tag of the localnet uplink"),
        text("excludeIPs", false, "addresses OVN must not hand out: a,b,c..d"),
        text("dnsServer", false, "DHCP dns_server option"),
        flag("ipv6", "accepted for compatibility; the family follows subnet")},
       Query::L3,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         const auto& p = invocation.params;
         CreateSwitchRequest request{.name = invocation.name,
                                     .subnet = p.string("subnet"),
                                     .dhcp = p.string("dhcp"),
                                     .gateway = p.string("gateway"),
                                     .mtu = optionalInt(p, "mtu"),
                                     .bridge = p.string("bridge"),
                                     .vlan_id = optionalInt(p, "vlanId"),
                                     .exclude_ips = p.string("excludeIPs"),
                                     .dns_server = p.string("dnsServer"),
                                     .node_name = deps.node_name.empty() ? "node" : deps.node_name};
         return withNorthbound(deps, [&](const Northbound& nb) -> util::Result<Outcome> {
           std::optional<Vswitch> ovs;
           if (!request.bridge.empty()) {
             auto required = requireVswitch(deps);
             if (!required) {
               return required.error();
             }
             ovs.emplace(std::move(*required));
           }
           auto created = nb.createSwitch(request);
           if (!created) {
             return created.error();
           }
           if (ovs && !created->localnet_network.empty()) {
             auto mapped = ovs->addBridgeMapping(created->localnet_network, request.bridge);
             if (!mapped) {
               // Two databases cannot share a transaction: undo the switch so a retry starts
               // clean.
               (void)nb.deleteSwitch(request.name);
               return mapped.error().withContext(fmt::format(
                   "logical switch '{}' was removed again because its uplink could not be "
                   "mapped",
                   request.name));
             }
           }
           return Outcome{};
         });
       }});
  out.push_back({"modifySwitch", "name", "Change a switch's DHCP options, router address or VLAN",
                 switchParams(), Query::L3, modifySwitch});
  out.push_back({"modidySwitch", "name",
                 "Upstream's spelling of modifySwitch (the key its clients send)", switchParams(),
                 Query::L3, modifySwitch});
  out.push_back(
      {"deleteSwitch",
       "name",
       "Delete a logical switch with its router, DHCP options and uplink",
       {injected("name", "logical switch name"),
        text("bridge", false, "accepted; the uplink's bridge mapping is found and removed anyway"),
        flag("ipv6", "accepted for compatibility")},
       Query::Deleted,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         return withNorthbound(deps, [&](const Northbound& nb) -> util::Result<Outcome> {
           auto deleted = nb.deleteSwitch(invocation.name);
           if (!deleted) {
             return deleted.error();
           }
           if (!deleted->localnet_networks.empty()) {
             auto ovs = vswitch(deps);
             if (ovs && ovs->has_value()) {
               if (auto removed = (*ovs)->removeBridgeMappings(deleted->localnet_networks);
                   !removed) {
                 return removed.error().withContext(
                     fmt::format("logical switch '{}' was deleted but its bridge mapping stays",
                                 invocation.name));
               }
             }
           }
           return fromStatus(util::ok(), true);
         });
       }});
  out.push_back({"bindSwPort",
                 "switch",
                 "Attach a VM NIC (by MAC) to the logical switch",
                 {injected("switch", "logical switch"), text("mac", true, "MAC of the VM NIC"),
                  text("ip", false, "fixed address in the switch's subnet (default dynamic)")},
                 Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) -> util::Result<Outcome> {
                     auto ovs = vswitch(deps);
                     if (!ovs) {
                       return ovs.error();
                     }
                     VmPorts ports(nb, ovs->has_value() ? &**ovs : nullptr);
                     auto bound = ports.bind({.type = "l3bridge",
                                              .switch_name = invocation.name,
                                              .ip = invocation.params.string("ip"),
                                              .mac = invocation.params.string("mac")});
                     if (!bound) {
                       return bound.error();
                     }
                     Outcome outcome;
                     outcome.message =
                         bound->changed ? fmt::format("port '{}' bound", bound->port)
                                        : fmt::format("port '{}' was already bound", bound->port);
                     return outcome;
                   });
                 }});
  out.push_back(
      {"unbindSwPort",
       "switch",
       "Detach the VM NIC with this MAC from its logical switch",
       {injected("switch", "ignored, as upstream"), text("mac", true, "MAC of the VM NIC")},
       Query::L3,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         return withNorthbound(deps, [&](const Northbound& nb) -> util::Result<Outcome> {
           VmPorts ports(nb, nullptr);
           const std::string mac = invocation.params.string("mac");
           auto removed = ports.unbind(mac);
           if (!removed) {
             return removed.error();
           }
           if (*removed == 0) {
             return util::Error{util::ErrorCode::NotFound,
                                fmt::format("no logical switch port has MAC '{}'", mac)};
           }
           return Outcome{};
         });
       }});
  for (const auto& [key, summary] :
       {std::pair{"createAddress", "Create an OVN address set"},
        std::pair{"modifyAddress", "Replace the addresses of an OVN address set"}}) {
    const std::string op = key;
    out.push_back(
        {key,
         "name",
         summary,
         {injected("name", "address set name"),
          text("address", true, "comma-separated IPs or CIDRs, e.g. 10.0.0.1,192.168.96.0/21")},
         Query::L3,
         [op](const Invocation& invocation, const NetworkOperationDeps& deps) {
           return withNorthbound(deps, [&](const Northbound& nb) {
             const std::string addresses = invocation.params.string("address");
             return fromStatus(op == "createAddress"
                                   ? nb.createAddressSet(invocation.name, addresses)
                                   : nb.modifyAddressSet(invocation.name, addresses));
           });
         }});
  }
  out.push_back({"deleteAddress",
                 "name",
                 "Delete an OVN address set",
                 {injected("name", "address set name")},
                 Query::Deleted,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.deleteAddressSet(invocation.name), true);
                   });
                 }});
  out.push_back({"bindFloatingIP",
                 "domain",
                 "Give a VM NIC a floating IP on an external switch (dnat+snat)",
                 {injected("domain", "unused (upstream ignores it)"),
                  text("swName", true, "tenant switch (its router <swName>-router must exist)"),
                  text("outSwName", true, "external logical switch"),
                  text("vmmac", true, "MAC of the VM NIC (a port of swName)"),
                  text("fip", true, "floating IP with prefix, e.g. 192.168.1.10/24"),
                  text("bridge", false, "accepted, unused (as upstream)")},
                 Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   const auto& p = invocation.params;
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.bindFloatingIp({.switch_name = p.string("swName"),
                                                          .out_switch = p.string("outSwName"),
                                                          .vm_mac = p.string("vmmac"),
                                                          .fip = p.string("fip")}));
                   });
                 }});
  out.push_back(
      {"unbindFloatingIP",
       "domain",
       "Remove a VM NIC's floating IP (only its own NAT rows)",
       {injected("domain", "unused (upstream ignores it)"), text("swName", true, "tenant switch"),
        text("vmmac", true, "MAC of the VM NIC"), text("fip", true, "the floating IP"),
        text("vmip", false, "the VM address (default: read from the floating IP's dnat row)")},
       Query::L3,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         const auto& p = invocation.params;
         return withNorthbound(deps, [&](const Northbound& nb) {
           return fromStatus(nb.unbindFloatingIp({.switch_name = p.string("swName"),
                                                  .vm_mac = p.string("vmmac"),
                                                  .fip = p.string("fip"),
                                                  .vm_ip = p.string("vmip")}));
         });
       }});
  out.push_back({"addACL", "domain", "Add an ACL for a VM NIC's port", aclParams(true), Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.addAcl(aclOf(invocation)));
                   });
                 }});
  out.push_back({"modifyACL", "domain", "Change the operator of an existing ACL", aclParams(true),
                 Query::L3, [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.modifyAcl(aclOf(invocation)));
                   });
                 }});
  out.push_back({"deprecatedACL", "domain", "Delete an ACL (upstream's key for delete-acl)",
                 aclParams(false), Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.deleteAcl(aclOf(invocation)));
                   });
                 }});
  out.push_back({"setQoS", "domain", "Add a rate limit (QoS rule) to a switch", qosParams(true),
                 Query::L3, [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.setQos(qosOf(invocation)));
                   });
                 }});
  out.push_back({"modifyQoS", "domain", "Change rate/burst of an existing QoS rule",
                 qosParams(true), Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.modifyQos(qosOf(invocation)));
                   });
                 }});
  out.push_back({"unsetQoS", "domain", "Delete a QoS rule", qosParams(false), Query::L3,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withNorthbound(deps, [&](const Northbound& nb) {
                     return fromStatus(nb.unsetQos(qosOf(invocation)));
                   });
                 }});
  addOvsRows(out);
  return out;
}

}  // namespace detail

void addNetworkOperations(lifecycle::OperationTable& table, const NetworkOperationDeps& deps) {
  for (auto& row : detail::rows()) {
    auto run = row.run;
    table.add(
        {.kind = kNetworkKind,
         .key = row.key,
         .name_field = row.name_field,
         .params = std::move(row.params),
         .summary = row.summary,
         .handler = [&deps, run](const Invocation& invocation) { return run(invocation, deps); },
         .refresh = detail::refreshFor(row.query, deps),
         .test_tier = lifecycle::TestTier::NotLibvirt});
  }
}

std::string upstreamCommand(std::string_view operation) {
  static const std::map<std::string, std::string, std::less<>> kCommands = {
      {"bindPortVlan", "bindport-vlan"},
      {"unbindPortVlan", "unbindport-vlan"},
      {"createSwitch", "create-switch"},
      {"modifySwitch", "modify-switch"},
      {"deleteSwitch", "delete-switch"},
      {"createAddress", "create-address"},
      {"modifyAddress", "modify-address"},
      {"deleteAddress", "delete-address"},
      {"bindFloatingIP", "bind-fip"},
      {"unbindFloatingIP", "unbind-fip"},
      {"addACL", "create-acl"},
      {"modifyACL", "modify-acl"},
      {"deprecatedACL", "delete-acl"},
      {"setQoS", "create-qos"},
      {"modifyQoS", "modify-qos"},
      {"unsetQoS", "delete-qos"},
      {"createBridge", "create-bridge"},
      {"deleteBridge", "delete-bridge"},
      {"setBridgeVlan", "setbridge-vlan"},
      {"delBridgeVlan", "delbridge-vlan"},
      {"bindSwPort", "bind-swport"},
      {"unbindSwPort", "unbind-swport"},
  };
  const auto it = kCommands.find(operation);
  return it == kCommands.end() ? std::string() : it->second;
}

std::span<const util::ConfigOption> networkConfigOptions() { return kOptions; }

}  // namespace univirt::ovnctl
