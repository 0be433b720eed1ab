#pragma once

// Reading northbound rows into plain structs, shared by the northbound operations and the VM
// port bindings. Every reader runs its selects in one transaction (one consistent snapshot).

#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "ovnctl/ovsdb_client.h"
#include "ovnctl/ovsdb_json.h"

namespace univirt::ovnctl::detail {

inline constexpr const char* kSwitchTable = "Logical_Switch";
inline constexpr const char* kPortTable = "Logical_Switch_Port";
inline constexpr const char* kRouterTable = "Logical_Router";
inline constexpr const char* kRouterPortTable = "Logical_Router_Port";
inline constexpr const char* kNatTable = "NAT";
inline constexpr const char* kAclTable = "ACL";
inline constexpr const char* kQosTable = "QoS";
inline constexpr const char* kDhcpTable = "DHCP_Options";
inline constexpr const char* kAddressSetTable = "Address_Set";

struct SwitchRow {
  std::string uuid = {};
  std::string name = {};
  std::vector<std::string> ports = {};
  std::vector<std::string> acls = {};
  std::vector<std::string> qos_rules = {};
  ovsdb::StringMap other_config = {};
};

struct PortRow {
  std::string uuid = {};
  std::string name = {};
  std::string type = {};
  std::vector<std::string> addresses = {};
  std::optional<std::string> dynamic_addresses = {};
  std::optional<std::int64_t> tag = {};
  ovsdb::StringMap options = {};
  ovsdb::StringMap external_ids = {};
  std::string dhcpv4_options;  // uuid or empty

  // The MAC of the first address entry ("<mac> <ip>…", "<mac> dynamic"), lower-case.
  std::string mac() const;
  // The first IP of the port: static from addresses, else from dynamic_addresses.
  std::string ip() const;
};

struct RouterRow {
  std::string uuid = {};
  std::string name = {};
  std::vector<std::string> ports = {};
  std::vector<std::string> nat = {};
};

struct RouterPortRow {
  std::string uuid = {};
  std::string name = {};
  std::string mac = {};
  std::vector<std::string> networks = {};
};

struct NatRow {
  std::string uuid = {};
  std::string type = {};
  std::string external_ip = {};
  std::string logical_ip = {};
  ovsdb::StringMap external_ids = {};
};

struct RuleRow {  // ACL or QoS
  std::string uuid = {};
  std::string direction = {};
  std::int64_t priority = 0;
  std::string match = {};
  std::string action = {};                             // ACL
  std::map<std::string, std::int64_t> bandwidth = {};  // QoS
  ovsdb::StringMap external_ids = {};
};

struct DhcpRow {
  std::string uuid = {};
  std::string cidr = {};
  ovsdb::StringMap options = {};
  ovsdb::StringMap external_ids = {};
};

// Runs selects (or anything read-only) as one transaction.
util::Result<ovsdb::Json> read(const OvsdbClient& client, const ovsdb::Json& operations);
// Runs a write transaction; errors get "<what>: " in front.
util::Result<ovsdb::Json> write(const OvsdbClient& client, const ovsdb::Json& operations,
                                std::string_view what);

SwitchRow switchFrom(const ovsdb::Json& row);
PortRow portFrom(const ovsdb::Json& row);
RouterRow routerFrom(const ovsdb::Json& row);
RouterPortRow routerPortFrom(const ovsdb::Json& row);
NatRow natFrom(const ovsdb::Json& row);
RuleRow ruleFrom(const ovsdb::Json& row);
DhcpRow dhcpFrom(const ovsdb::Json& row);

util::Result<std::optional<SwitchRow>> findSwitch(const OvsdbClient& client,
                                                  const std::string& name);
// NotFound "logical switch 'x' does not exist" when absent.
util::Result<SwitchRow> requireSwitch(const OvsdbClient& client, const std::string& name,
                                      std::string_view parameter);
util::Result<std::optional<RouterRow>> findRouter(const OvsdbClient& client,
                                                  const std::string& name);
// Rows of `table` with the given uuids (one select per uuid, one transaction).
util::Result<std::vector<ovsdb::Json>> rowsByUuid(const OvsdbClient& client, std::string_view table,
                                                  const std::vector<std::string>& uuids);
util::Result<std::vector<PortRow>> portsOf(const OvsdbClient& client, const SwitchRow& sw);
// The DHCP_Options of a switch: univirt's (external_ids univirt-switch) or kube-ovn's
// (options ref=<switch>).
util::Result<std::optional<DhcpRow>> dhcpOf(const OvsdbClient& client, const std::string& name);
// The switch whose ports include `port_uuid`, if any.
util::Result<std::optional<SwitchRow>> switchOfPort(const OvsdbClient& client,
                                                    const std::string& port_uuid);

// A wait that the switch row still has exactly these ports (guards a read-modify-write).
ovsdb::Json waitSwitchPorts(const SwitchRow& sw);

}  // namespace univirt::ovnctl::detail
