// The Open vSwitch rows of the network table: bridges, their VLAN fake bridges and the VLAN tag
// of a VM NIC's port (crd-contract §3.6: createBridge, deleteBridge, setBridgeVlan,
// delBridgeVlan, bindPortVlan, unbindPortVlan).

#include "ovnctl/detail/network_rows.h"
#include "ovnctl/vswitch.h"

namespace univirt::ovnctl::detail {

using lifecycle::Invocation;
using lifecycle::ParamType;

void addOvsRows(std::vector<Row>& out) {
  out.push_back(
      {"createBridge",
       "domain",
       "Create an OVS bridge with an uplink NIC (and a VLAN fake bridge)",
       {injected("domain", "unused (upstream ignores it)"),
        text("name", true, "OVS bridge name"),
        text("nic", true, "physical NIC added to the bridge as a port"),
        integer("vlan", false, 0, 4094, "VLAN of a fake bridge <name>-<vlan> (0 or absent: none)"),
        {.name = "datapathType",
         .type = ParamType::String,
         .allowed = {"system", "netdev"},
         .help = "univirt: OVS datapath (netdev = userspace)"}},
       Query::L2OfBridgeParam,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         const auto& p = invocation.params;
         return withVswitch(deps, [&](const Vswitch& ovs) {
           return ovs.createBridge({.name = p.string("name"),
                                    .nic = p.string("nic"),
                                    .vlan = p.integer("vlan", 0),
                                    .datapath_type = p.string("datapathType")});
         });
       }});
  out.push_back(
      {"deleteBridge",
       "domain",
       "Delete an OVS bridge and its ports",
       {injected("domain", "unused (upstream ignores it)"), text("name", true, "OVS bridge name"),
        text("nic", false, "accepted, unused")},
       Query::Deleted,
       [](const Invocation& invocation, const NetworkOperationDeps& deps) {
         return withVswitch(
             deps,
             [&](const Vswitch& ovs) { return ovs.deleteBridge(invocation.params.string("name")); },
             true);
       }});
  for (const auto& [key, summary] :
       {std::pair{"setBridgeVlan", "Add the VLAN fake bridge <name>-<vlan> to an OVS bridge"},
        std::pair{"delBridgeVlan", "Remove the VLAN fake bridge <name>-<vlan>"}}) {
    const bool set = std::string_view(key) == "setBridgeVlan";
    out.push_back({key,
                   "domain",
                   summary,
                   {injected("domain", "unused (upstream ignores it)"),
                    text("name", true, "OVS bridge name"), vlanParam("vlan", true, "VLAN id")},
                   Query::L2OfBridgeParam,
                   [set](const Invocation& invocation, const NetworkOperationDeps& deps) {
                     return withVswitch(deps, [&](const Vswitch& ovs) {
                       const std::string bridge = invocation.params.string("name");
                       const std::int64_t vlan = invocation.params.integer("vlan");
                       return set ? ovs.setBridgeVlan(bridge, vlan)
                                  : ovs.delBridgeVlan(bridge, vlan);
                     });
                   }});
  }
  out.push_back({"bindPortVlan",
                 "name",
                 "Tag the OVS port of a VM NIC (by MAC) with a VLAN",
                 {injected("name", "the bridge reported in .spec.data"),
                  text("mac", true, "MAC of the VM NIC"), vlanParam("vlan", true, "VLAN id")},
                 Query::L2OfName,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withVswitch(deps, [&](const Vswitch& ovs) {
                     return ovs.setPortVlan(invocation.params.string("mac"),
                                            invocation.params.integer("vlan"));
                   });
                 }});
  out.push_back({"unbindPortVlan",
                 "name",
                 "Remove the VLAN tag of a VM NIC's OVS port",
                 {injected("name", "the bridge reported in .spec.data"),
                  text("mac", true, "MAC of the VM NIC")},
                 Query::L2OfName,
                 [](const Invocation& invocation, const NetworkOperationDeps& deps) {
                   return withVswitch(deps, [&](const Vswitch& ovs) {
                     return ovs.clearPortVlan(invocation.params.string("mac"));
                   });
                 }});
}

}  // namespace univirt::ovnctl::detail
