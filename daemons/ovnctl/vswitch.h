#pragma once

// The Open vSwitch side (the local Open_vSwitch database over OVSDB, as ovs-vsctl writes it):
// bridges and their VLAN fake bridges (create/delete-bridge, setbridge/delbridge-vlan), the
// VLAN tag of a VM's port (bindPortVlan/unbindPortVlan, never implemented upstream), the
// ovn-bridge-mappings of localnet uplinks, and the l2 refresh (dump_l2_network_info).
// Like ovs-vsctl --no-wait, only the database is written; ovs-vswitchd applies it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "ovnctl/ovsdb_client.h"

namespace univirt::ovnctl {

struct CreateBridgeRequest {
  std::string name = {};
  std::string nic = {};            // uplink added as a port; empty: none
  std::int64_t vlan = 0;           // > 0: also the fake bridge <name>-<vlan>
  std::string datapath_type = {};  // "" (system) or "netdev" (userspace)
};

// An OVS interface found by the MAC of the VM NIC it carries.
struct OvsInterface {
  std::string uuid = {};
  std::string name = {};
  std::string iface_id = {};  // external_ids:iface-id, empty if unset
  std::string port_uuid = {};
  std::string port_name = {};
  std::optional<std::int64_t> tag = {};
};

class Vswitch {
 public:
  explicit Vswitch(OvsdbClient client) : client_(std::move(client)) {}

  const OvsdbClient& client() const { return client_; }

  util::Status createBridge(const CreateBridgeRequest& request) const;
  util::Status deleteBridge(const std::string& name) const;
  util::Status setBridgeVlan(const std::string& bridge, std::int64_t vlan) const;
  util::Status delBridgeVlan(const std::string& bridge, std::int64_t vlan) const;

  // Sets / clears the VLAN tag of the port holding the interface with `mac`
  // (external_ids:attached-mac as libvirt writes it, else mac_in_use, else mac).
  util::Status setPortVlan(const std::string& mac, std::int64_t vlan) const;
  util::Status clearPortVlan(const std::string& mac) const;

  util::Result<std::optional<OvsInterface>> findInterfaceByMac(const std::string& mac) const;
  util::Status setIfaceId(const OvsInterface& interface, const std::string& iface_id) const;

  // Adds "<network>:<bridge>" to / removes networks from
  // Open_vSwitch external_ids:ovn-bridge-mappings.
  util::Status addBridgeMapping(const std::string& network, const std::string& bridge) const;
  util::Status removeBridgeMappings(const std::vector<std::string>& networks) const;
  util::Result<std::string> bridgeMappings() const;

  // dump_l2_network_info data: {"bridgeInfo": {name, uuid, ports: [{uuid, name, vlan,
  // interfaces: [{uuid, mac, name}]}]}}; a missing bridge gives empty fields.
  util::Result<nlohmann::json> bridgeInfo(const std::string& name) const;

 private:
  OvsdbClient client_;
};

}  // namespace univirt::ovnctl
