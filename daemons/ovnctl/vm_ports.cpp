#include "ovnctl/vm_ports.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "ovnctl/detail/nb_rows.h"
#include "ovnctl/validation.h"

namespace univirt::ovnctl {
namespace {

using detail::kPortTable;
using detail::kSwitchTable;
using ovsdb::Json;
using util::Error;
using util::ErrorCode;

std::string compactMac(const std::string& mac) {
  std::string out;
  std::copy_if(mac.begin(), mac.end(), std::back_inserter(out), [](char c) { return c != ':'; });
  return out;
}

// Logical switch ports of `mac`: recorded by univirt, or (upstream's) with that MAC first in
// their addresses. Non-router ports only.
util::Result<std::vector<detail::PortRow>> portsOfMac(const OvsdbClient& client,
                                                      const std::string& mac) {
  auto result = detail::read(
      client,
      Json::array({ovsdb::select(kPortTable, Json::array(),
                                 {"_uuid", "name", "type", "addresses", "external_ids",
                                  "dhcpv4_options", "dynamic_addresses", "tag", "options"})}));
  if (!result) {
    return result.error();
  }
  std::vector<detail::PortRow> ports;
  for (const auto& row : ovsdb::rowsOf((*result)[0])) {
    auto port = detail::portFrom(row);
    const bool recorded =
        port.external_ids.contains(kMacKey) && port.external_ids.at(kMacKey) == mac;
    if (recorded || (port.type.empty() && port.mac() == mac)) {
      ports.push_back(std::move(port));
    }
  }
  return ports;
}

struct SwitchRecords {
  std::string uuid = {};
  std::string name = {};
  ovsdb::StringMap records = {};  // key (kNicRecordPrefix + mac) -> "<domain> <ip|dynamic>"
};

std::string recordKey(const std::string& mac) { return kNicRecordPrefix + compactMac(mac); }

// Every switch with the NIC binding records univirt keeps in its external_ids.
util::Result<std::vector<SwitchRecords>> switchRecords(const OvsdbClient& client) {
  auto result = detail::read(
      client,
      Json::array({ovsdb::select(kSwitchTable, Json::array(), {"_uuid", "name", "external_ids"})}));
  if (!result) {
    return result.error();
  }
  std::vector<SwitchRecords> out;
  for (const auto& row : ovsdb::rowsOf((*result)[0])) {
    SwitchRecords sw{.uuid = ovsdb::uuidOf(row.at("_uuid")),
                     .name = row.at("name").get<std::string>()};
    for (auto& [key, value] : ovsdb::stringMap(row.at("external_ids"))) {
      if (key.starts_with(kNicRecordPrefix)) {
        sw.records.emplace(key, value);
      }
    }
    if (!sw.records.empty()) {
      out.push_back(std::move(sw));
    }
  }
  return out;
}

// "aa:bb:cc:dd:ee:ff" back from the compact form of a record key.
std::string macOfRecordKey(const std::string& key) {
  const std::string compact = key.substr(std::string_view(kNicRecordPrefix).size());
  std::string mac;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    if (i > 0 && i % 2 == 0) {
      mac.push_back(':');
    }
    mac.push_back(compact[i]);
  }
  return mac;
}

Json deleteRecord(const std::string& switch_uuid, const std::string& key) {
  return ovsdb::mutate(
      kSwitchTable, ovsdb::byUuid(switch_uuid),
      Json::array({ovsdb::mutation("external_ids", "delete", ovsdb::stringSet({key}))}));
}

}  // namespace

util::Result<BindResult> VmPorts::bind(const NicBinding& nic) const {
  auto mac = parseMac(nic.mac, "mac");
  if (!mac) {
    return mac.error();
  }
  if (nic.type == "bridge") {
    return BindResult{};
  }
  if (nic.type == "l2bridge") {
    if (vswitch_ == nullptr) {
      return Error{ErrorCode::InvalidArgument,
                   "an l2bridge NIC needs the OVS database (--ovs-db); none is configured"};
    }
    auto found = vswitch_->findInterfaceByMac(*mac);
    if (!found) {
      return found.error();
    }
    if (!found->has_value() || (*found)->port_uuid.empty()) {
      return Error{ErrorCode::NotFound,
                   fmt::format("no OVS port carries an interface with MAC '{}'; is the VM NIC "
                               "plugged into an OVS bridge?",
                               *mac)};
    }
    if ((*found)->tag == nic.vlan) {
      return BindResult{.changed = false, .port = (*found)->port_name};
    }
    auto changed =
        nic.vlan ? vswitch_->setPortVlan(*mac, *nic.vlan) : vswitch_->clearPortVlan(*mac);
    if (!changed) {
      return changed.error();
    }
    return BindResult{.changed = true, .port = (*found)->port_name};
  }
  if (nic.type != "l3bridge") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("NIC type '{}' is not bridge, l2bridge or l3bridge", nic.type)};
  }
  return bindLogicalPort(nic, *mac);
}

util::Result<BindResult> VmPorts::bindLogicalPort(const NicBinding& nic,
                                                  const std::string& mac) const {
  const OvsdbClient& client = northbound_.client();
  auto sw = detail::requireSwitch(client, nic.switch_name, "switch");
  if (!sw) {
    return sw.error();
  }
  std::string address = "dynamic";
  if (!nic.ip.empty() && nic.ip != "dynamic") {
    auto ip = parseIp(nic.ip, "ip");
    if (!ip) {
      return ip.error();
    }
    if (sw->other_config.contains("subnet")) {
      auto subnet = parseCidr(sw->other_config.at("subnet"), "subnet", false);
      if (subnet && !subnet->contains(*ip)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("ip '{}' is not in subnet '{}' of logical switch '{}'", ip->text,
                                 subnet->toString(), nic.switch_name)};
      }
    }
    address = ip->text;
  }
  if (!nic.domain.empty()) {
    if (auto valid = checkOvnName(nic.domain, "domain"); !valid) {
      return valid.error();
    }
  }
  std::optional<OvsInterface> interface;
  if (vswitch_ != nullptr) {
    auto found = vswitch_->findInterfaceByMac(mac);
    if (!found) {
      return found.error();
    }
    interface = *found;
  }
  std::string name = nic.domain.empty() ? fmt::format("univirt-{}", compactMac(mac))
                                        : fmt::format("{}-{}", nic.domain, compactMac(mac));
  if (interface && !interface->iface_id.empty()) {
    name = interface->iface_id;
  }
  auto dhcp = detail::dhcpOf(client, nic.switch_name);
  if (!dhcp) {
    return dhcp.error();
  }
  const std::string dhcp_uuid = dhcp->has_value() ? (*dhcp)->uuid : std::string();
  const std::vector<std::string> addresses = {fmt::format("{} {}", mac, address)};
  const ovsdb::StringMap ids = {
      {kMacKey, mac}, {kDomainKey, nic.domain}, {kNicTypeKey, "l3bridge"}};

  auto existing = portsOfMac(client, mac);
  if (!existing) {
    return existing.error();
  }
  const bool port_in_place =
      existing->size() == 1 && existing->front().name == name &&
      std::find(sw->ports.begin(), sw->ports.end(), existing->front().uuid) != sw->ports.end() &&
      existing->front().addresses == addresses && existing->front().dhcpv4_options == dhcp_uuid &&
      existing->front().external_ids == ids;
  // The record on the switch (bindings with a domain only): here with this value, nowhere else.
  const std::string key = recordKey(mac);
  const std::string value = fmt::format("{} {}", nic.domain, address);
  Json record_operations = Json::array();
  if (!nic.domain.empty()) {
    auto records = switchRecords(client);
    if (!records) {
      return records.error();
    }
    bool recorded_here = false;
    for (const auto& other : *records) {
      const auto found = other.records.find(key);
      if (found == other.records.end()) {
        continue;
      }
      if (other.uuid == sw->uuid && found->second == value) {
        recorded_here = true;
        continue;
      }
      record_operations.push_back(deleteRecord(other.uuid, key));
    }
    if (!recorded_here) {
      record_operations.push_back(ovsdb::mutate(
          kSwitchTable, ovsdb::byUuid(sw->uuid),
          Json::array({ovsdb::mutation("external_ids", "insert", ovsdb::map({{key, value}}))})));
    }
  }
  // An interface libvirt made without an iface-id gets the port's name, so ovn-controller
  // binds it; one with an iface-id gave the port its name.
  const bool link = interface.has_value() && interface->iface_id.empty();
  const auto link_interface = [&]() -> util::Status {
    if (!link) {
      return util::ok();
    }
    if (auto set = vswitch_->setIfaceId(*interface, name); !set) {
      return set.error().withContext(
          fmt::format("logical switch port '{}' was made but OVS interface '{}' was not linked",
                      name, interface->name));
    }
    return util::ok();
  };
  Json operations = Json::array();
  operations.push_back(ovsdb::waitEquals(kSwitchTable, ovsdb::byUuid(sw->uuid), {"name"},
                                         Json::array({{{"name", nic.switch_name}}})));
  for (auto& operation : record_operations) {
    operations.push_back(std::move(operation));
  }
  if (port_in_place) {
    if (operations.size() > 1) {
      auto written = detail::write(
          client, operations,
          fmt::format("recording MAC '{}' on logical switch '{}'", mac, nic.switch_name));
      if (!written) {
        return written.error();
      }
    }
    if (auto linked = link_interface(); !linked) {
      return linked.error();
    }
    return BindResult{.changed = operations.size() > 1 || link, .port = name};
  }
  for (const auto& old : *existing) {
    auto owner = detail::switchOfPort(client, old.uuid);
    if (!owner) {
      return owner.error();
    }
    if (owner->has_value()) {
      operations.push_back(ovsdb::mutate(
          kSwitchTable, ovsdb::byUuid((*owner)->uuid),
          Json::array({ovsdb::mutation("ports", "delete", ovsdb::set({ovsdb::uuid(old.uuid)}))})));
    }
  }
  Json row = {{"name", name},
              {"addresses", ovsdb::stringSet(addresses)},
              {"external_ids", ovsdb::map(ids)}};
  if (!dhcp_uuid.empty()) {
    row["dhcpv4_options"] = ovsdb::uuid(dhcp_uuid);
  }
  operations.push_back(ovsdb::insert(kPortTable, row, "port"));
  operations.push_back(ovsdb::mutate(
      kSwitchTable, ovsdb::byUuid(sw->uuid),
      Json::array({ovsdb::mutation("ports", "insert", ovsdb::set({ovsdb::namedUuid("port")}))})));
  auto written =
      detail::write(client, operations,
                    fmt::format("binding MAC '{}' to logical switch '{}'", mac, nic.switch_name));
  if (!written) {
    return written.error();
  }
  if (auto linked = link_interface(); !linked) {
    return linked.error();
  }
  return BindResult{.changed = true, .port = name};
}

util::Result<int> VmPorts::unbind(const std::string& mac_text, const std::string& type,
                                  UnbindMode mode) const {
  auto mac = parseMac(mac_text, "mac");
  if (!mac) {
    return mac.error();
  }
  if (type == "bridge") {
    return 0;
  }
  if (type == "l2bridge") {
    if (vswitch_ == nullptr) {
      return Error{ErrorCode::InvalidArgument,
                   "an l2bridge NIC needs the OVS database (--ovs-db); none is configured"};
    }
    auto found = vswitch_->findInterfaceByMac(*mac);
    if (!found) {
      return found.error();
    }
    if (!found->has_value() || !(*found)->tag) {
      return 0;
    }
    if (auto cleared = vswitch_->clearPortVlan(*mac); !cleared) {
      return cleared.error();
    }
    return 1;
  }
  const OvsdbClient& client = northbound_.client();
  auto existing = portsOfMac(client, *mac);
  if (!existing) {
    return existing.error();
  }
  Json operations = Json::array();
  int removed = 0;
  for (const auto& port : *existing) {
    auto owner = detail::switchOfPort(client, port.uuid);
    if (!owner) {
      return owner.error();
    }
    if (owner->has_value()) {
      operations.push_back(ovsdb::mutate(
          kSwitchTable, ovsdb::byUuid((*owner)->uuid),
          Json::array({ovsdb::mutation("ports", "delete", ovsdb::set({ovsdb::uuid(port.uuid)}))})));
      ++removed;
    }
  }
  int records = 0;
  if (mode == UnbindMode::Remove) {
    auto switches = switchRecords(client);
    if (!switches) {
      return switches.error();
    }
    const std::string key = recordKey(*mac);
    for (const auto& sw : *switches) {
      if (sw.records.contains(key)) {
        operations.push_back(deleteRecord(sw.uuid, key));
        ++records;
      }
    }
  }
  if (operations.empty()) {
    return 0;
  }
  auto written = detail::write(
      client, operations,
      fmt::format("{} MAC '{}'", mode == UnbindMode::Remove ? "unbinding" : "detaching", *mac));
  if (!written) {
    return written.error();
  }
  return std::max(removed, records);
}

util::Result<std::vector<RecordedBinding>> VmPorts::bindings(const std::string& domain) const {
  const OvsdbClient& client = northbound_.client();
  const Json condition =
      domain.empty()
          ? Json::array(
                {ovsdb::where("external_ids", "includes", ovsdb::map({{kNicTypeKey, "l3bridge"}}))})
          : Json::array(
                {ovsdb::where("external_ids", "includes", ovsdb::map({{kDomainKey, domain}}))});
  auto result = detail::read(client, Json::array({ovsdb::select(kPortTable, condition)}));
  if (!result) {
    return result.error();
  }
  std::vector<RecordedBinding> out;
  for (const auto& row : ovsdb::rowsOf((*result)[0])) {
    const auto port = detail::portFrom(row);
    auto owner = detail::switchOfPort(client, port.uuid);
    if (!owner) {
      return owner.error();
    }
    std::string ip = "dynamic";
    if (!port.addresses.empty()) {
      const auto& entry = port.addresses.front();
      const auto space = entry.find(' ');
      ip = space == std::string::npos ? ip : entry.substr(space + 1);
    }
    out.push_back({.domain = port.external_ids.contains(kDomainKey)
                                 ? port.external_ids.at(kDomainKey)
                                 : std::string(),
                   .mac = port.mac(),
                   .switch_name = owner->has_value() ? (*owner)->name : std::string(),
                   .port = port.name,
                   .ip = ip});
  }
  // Detached bindings: a switch's record with no port of that MAC.
  auto switches = switchRecords(client);
  if (!switches) {
    return switches.error();
  }
  for (const auto& sw : *switches) {
    for (const auto& [key, value] : sw.records) {
      const auto space = value.find(' ');
      const std::string owner = value.substr(0, space);
      const std::string mac = macOfRecordKey(key);
      if (!domain.empty() && owner != domain) {
        continue;
      }
      const bool attached = std::any_of(out.begin(), out.end(), [&](const RecordedBinding& b) {
        return b.mac == mac && b.attached;
      });
      if (attached) {
        continue;
      }
      out.push_back({.domain = owner,
                     .mac = mac,
                     .switch_name = sw.name,
                     .port = {},
                     .ip = space == std::string::npos ? "dynamic" : value.substr(space + 1),
                     .attached = false});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.mac, a.port) < std::tie(b.mac, b.port);
  });
  return out;
}

util::Result<VmNetwork> VmNetwork::open(const std::string& northbound, const std::string& ovs_db) {
  auto nb = parseEndpoint(northbound);
  if (!nb) {
    return nb.error().withContext("the OVN northbound endpoint");
  }
  std::optional<Vswitch> vswitch;
  if (!ovs_db.empty()) {
    auto ovs = parseEndpoint(ovs_db);
    if (!ovs) {
      return ovs.error().withContext("the Open_vSwitch endpoint");
    }
    vswitch.emplace(OvsdbClient(*ovs, "Open_vSwitch"));
  }
  return VmNetwork(Northbound(OvsdbClient(*nb, "OVN_Northbound")), std::move(vswitch));
}

}  // namespace univirt::ovnctl
