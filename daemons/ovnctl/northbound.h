#pragma once

// The OVN northbound side of the VirtualMachineNetwork operations (crd-contract §3.6/§3.6a):
// logical switches with their router and DHCP options, address sets, floating IPs, ACLs and
// QoS rules. Each change is one OVSDB transaction: the rows it relies on are read first, the
// request is checked against them (unknown switch, port without that MAC, …) and the writes
// carry "wait" checks that what was read is unchanged, so a failure leaves nothing half-made.
//
// Names follow upstream's kubeovn-adm so that existing networks stay readable: router
// `<switch>-router`, router port `<switch>-router-port`, switch-side port
// `mapping-to-<switch>-router`, localnet port `to-<switch>-router-port-<node>-localnet`,
// floating IP ports `public-<mac without colons>-port` / `from-public-<…>-port`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "ovnctl/ovsdb_client.h"

namespace univirt::ovnctl {

// external_ids keys univirt writes (so a later request finds its rows without parsing names).
inline constexpr const char* kSwitchKey = "univirt-switch";  // DHCP_Options: owning switch
inline constexpr const char* kMacKey = "univirt-mac";        // LSP/NAT/ACL: the VM NIC's MAC
inline constexpr const char* kDomainKey = "univirt-domain";  // LSP: the VM (domain name)
inline constexpr const char* kNicTypeKey = "univirt-nic-type";
inline constexpr const char* kRouterKey = "univirt-router";  // floating IP switch-side port
inline constexpr const char* kRuleKey = "univirt-rule";      // ACL: the user's rule fragment

struct CreateSwitchRequest {
  std::string name = {};
  std::string subnet = {};  // required CIDR
  std::string dhcp = {};    // router port IP = DHCP server_id; empty: no router, no DHCP
  std::string gateway = {};
  std::optional<std::int64_t> mtu = {};
  std::string bridge = {};  // OVS bridge of a localnet uplink (with dhcp)
  std::optional<std::int64_t> vlan_id = {};
  std::string exclude_ips = {};
  std::string dns_server = {};
  std::string node_name = {};  // names the localnet port, as upstream's hostname
};

// What createSwitch made that the OVS side must know (the localnet's bridge mapping).
struct SwitchCreated {
  std::string localnet_network = {};  // network_name of the localnet port; empty if none
};

struct ModifySwitchRequest {
  std::string name = {};
  std::string dhcp = {};
  std::string gateway = {};
  std::optional<std::int64_t> mtu = {};
  std::string dns_server = {};  // empty: keep the current one (upstream removed it)
  std::optional<std::int64_t> vlan_id = {};
};

struct SwitchDeleted {
  std::vector<std::string> localnet_networks = {};  // bridge mappings to remove on the OVS side
};

struct FloatingIpRequest {
  std::string switch_name = {};
  std::string out_switch = {};  // bind only
  std::string vm_mac = {};
  std::string fip = {};    // bind: with prefix; unbind: with or without
  std::string vm_ip = {};  // unbind only, optional
};

enum class Direction { From, To };

struct AclRequest {
  std::string switch_name = {};
  std::string vm_mac = {};
  Direction direction = Direction::From;
  std::string rule = {};
  std::string action = {};  // "allow-related" or "drop" (add/modify)
  std::int64_t priority = 100;
};

struct QosRequest {
  std::string switch_name = {};
  Direction direction = Direction::From;
  std::string rule = {};
  std::optional<std::int64_t> rate = {};  // kbps (set/modify)
  std::optional<std::int64_t> burst = {};
  std::int64_t priority = 100;
};

class Northbound {
 public:
  explicit Northbound(OvsdbClient client) : client_(std::move(client)) {}

  const OvsdbClient& client() const { return client_; }

  util::Result<SwitchCreated> createSwitch(const CreateSwitchRequest& request) const;
  util::Status modifySwitch(const ModifySwitchRequest& request) const;
  util::Result<SwitchDeleted> deleteSwitch(const std::string& name) const;

  util::Status createAddressSet(const std::string& name, const std::string& addresses) const;
  util::Status modifyAddressSet(const std::string& name, const std::string& addresses) const;
  util::Status deleteAddressSet(const std::string& name) const;

  util::Status bindFloatingIp(const FloatingIpRequest& request) const;
  util::Status unbindFloatingIp(const FloatingIpRequest& request) const;

  util::Status addAcl(const AclRequest& request) const;
  util::Status modifyAcl(const AclRequest& request) const;
  util::Status deleteAcl(const AclRequest& request) const;

  util::Status setQos(const QosRequest& request) const;
  util::Status modifyQos(const QosRequest& request) const;
  util::Status unsetQos(const QosRequest& request) const;

  // upstream's dump_l3_network_info data: {switchInfo, routerInfo, gatewayInfo} of switch
  // `name` and router `<name>-router`; missing rows give empty fields, as upstream.
  util::Result<nlohmann::json> networkInfo(const std::string& name) const;

 private:
  OvsdbClient client_;
};

std::string routerName(const std::string& switch_name);
std::string routerPortName(const std::string& switch_name);
std::string localnetPortName(const std::string& switch_name, const std::string& node_name);
std::string floatingPortName(const std::string& mac);

}  // namespace univirt::ovnctl
