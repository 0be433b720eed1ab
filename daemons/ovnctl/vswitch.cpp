#include "ovnctl/vswitch.h"

#include <algorithm>

#include <fmt/format.h>

#include "ovnctl/ovsdb_json.h"
#include "ovnctl/validation.h"

namespace univirt::ovnctl {
namespace {

using ovsdb::Json;
using util::Error;
using util::ErrorCode;

constexpr const char* kRootTable = "Open_vSwitch";
constexpr const char* kBridgeTable = "Bridge";
constexpr const char* kPortTable = "Port";
constexpr const char* kInterfaceTable = "Interface";
constexpr const char* kMappingsKey = "ovn-bridge-mappings";

util::Result<Json> run(const OvsdbClient& client, const Json& operations, std::string_view what) {
  auto result = client.transact(operations);
  if (!result) {
    return result.error().withContext(what);
  }
  return result;
}

util::Status done(const util::Result<Json>& result) {
  return result ? util::ok() : util::Status(result.error());
}

std::string fakeBridgeName(const std::string& bridge, std::int64_t vlan) {
  return fmt::format("{}-{}", bridge, vlan);
}

struct RootRow {
  std::string uuid;
  ovsdb::StringMap external_ids;
};

util::Result<RootRow> root(const OvsdbClient& client) {
  auto result = run(client, Json::array({ovsdb::select(kRootTable, Json::array())}),
                    "reading the Open_vSwitch table");
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  if (rows.empty()) {
    return Error{ErrorCode::Unavailable,
                 "the Open_vSwitch database is not initialised (run ovs-vsctl init)"};
  }
  return RootRow{.uuid = ovsdb::uuidOf(rows[0]["_uuid"]),
                 .external_ids = ovsdb::stringMap(rows[0]["external_ids"])};
}

// The rows of `table` named `name` (names are indexed: 0 or 1).
util::Result<Json> byName(const OvsdbClient& client, const char* table, const std::string& name) {
  auto result = run(client, Json::array({ovsdb::select(table, ovsdb::byName(name))}),
                    fmt::format("reading {} '{}'", table, name));
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  return rows.empty() ? Json() : rows[0];
}

Json internalPort(const std::string& name, std::optional<std::int64_t> tag, bool fake_bridge,
                  const std::string& id, Json& operations) {
  operations.push_back(
      ovsdb::insert(kInterfaceTable, {{"name", name}, {"type", "internal"}}, "if_" + id));
  Json port = {{"name", name}, {"interfaces", ovsdb::set({ovsdb::namedUuid("if_" + id)})}};
  if (tag) {
    port["tag"] = *tag;
  }
  if (fake_bridge) {
    port["fake_bridge"] = true;
  }
  operations.push_back(ovsdb::insert(kPortTable, port, "port_" + id));
  return ovsdb::namedUuid("port_" + id);
}

Json mutateBridgePorts(const std::string& bridge_uuid, const char* mutator, Json port) {
  return ovsdb::mutate(
      kBridgeTable, ovsdb::byUuid(bridge_uuid),
      Json::array({ovsdb::mutation("ports", mutator, ovsdb::set({std::move(port)}))}));
}

util::Status checkBridgeName(const std::string& name) {
  return checkDeviceName(name, "bridge name");
}

util::Result<Json> requireBridge(const OvsdbClient& client, const std::string& name) {
  if (auto valid = checkBridgeName(name); !valid) {
    return valid.error();
  }
  auto bridge = byName(client, kBridgeTable, name);
  if (!bridge) {
    return bridge.error();
  }
  if (bridge->is_null()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("OVS bridge '{}' does not exist; nothing was changed", name)};
  }
  return bridge;
}

std::vector<std::string> splitMappings(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (const char c : text) {
    if (c == ',') {
      if (!item.empty()) {
        out.push_back(std::move(item));
      }
      item.clear();
      continue;
    }
    item.push_back(c);
  }
  if (!item.empty()) {
    out.push_back(std::move(item));
  }
  return out;
}

util::Status writeMappings(const OvsdbClient& client, const RootRow& row,
                           const std::vector<std::string>& mappings) {
  ovsdb::StringMap ids = row.external_ids;
  if (mappings.empty()) {
    ids.erase(kMappingsKey);
  } else {
    ids[kMappingsKey] = fmt::format("{}", fmt::join(mappings, ","));
  }
  return done(run(client,
                  Json::array({ovsdb::waitEquals(
                                   kRootTable, ovsdb::byUuid(row.uuid), {"external_ids"},
                                   Json::array({{{"external_ids", ovsdb::map(row.external_ids)}}})),
                               ovsdb::update(kRootTable, ovsdb::byUuid(row.uuid),
                                             {{"external_ids", ovsdb::map(ids)}})}),
                  "updating ovn-bridge-mappings"));
}

}  // namespace

util::Status Vswitch::createBridge(const CreateBridgeRequest& request) const {
  if (auto valid = checkBridgeName(request.name); !valid) {
    return valid;
  }
  if (!request.nic.empty()) {
    if (auto valid = checkDeviceName(request.nic, "nic"); !valid) {
      return valid;
    }
  }
  if (request.vlan != 0) {
    if (auto valid = checkVlan(request.vlan, "vlan"); !valid) {
      return valid;
    }
  }
  if (!request.datapath_type.empty() && request.datapath_type != "system" &&
      request.datapath_type != "netdev") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("datapathType '{}' is not system or netdev", request.datapath_type)};
  }
  auto top = root(client_);
  if (!top) {
    return top.error();
  }
  auto existing = byName(client_, kBridgeTable, request.name);
  if (!existing) {
    return existing.error();
  }
  if (!existing->is_null()) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("OVS bridge '{}' already exists; delete it first", request.name)};
  }
  if (!request.nic.empty()) {
    auto used = byName(client_, kPortTable, request.nic);
    if (!used) {
      return used.error();
    }
    if (!used->is_null()) {
      return Error{ErrorCode::AlreadyExists,
                   fmt::format("nic '{}' is already a port of an OVS bridge", request.nic)};
    }
  }
  Json operations = Json::array();
  operations.push_back(
      ovsdb::waitEquals(kBridgeTable, ovsdb::byName(request.name), {"name"}, Json::array()));
  std::vector<Json> ports;
  ports.push_back(internalPort(request.name, std::nullopt, false, "local", operations));
  if (!request.nic.empty()) {
    operations.push_back(ovsdb::insert(kInterfaceTable, {{"name", request.nic}}, "if_nic"));
    operations.push_back(ovsdb::insert(
        kPortTable,
        {{"name", request.nic}, {"interfaces", ovsdb::set({ovsdb::namedUuid("if_nic")})}},
        "port_nic"));
    ports.push_back(ovsdb::namedUuid("port_nic"));
  }
  if (request.vlan != 0) {
    ports.push_back(internalPort(fakeBridgeName(request.name, request.vlan), request.vlan, true,
                                 "fake", operations));
  }
  Json bridge = {{"name", request.name}, {"ports", ovsdb::set(ports)}};
  if (!request.datapath_type.empty()) {
    bridge["datapath_type"] = request.datapath_type;
  }
  operations.push_back(ovsdb::insert(kBridgeTable, bridge, "bridge"));
  operations.push_back(ovsdb::mutate(
      kRootTable, ovsdb::byUuid(top->uuid),
      Json::array(
          {ovsdb::mutation("bridges", "insert", ovsdb::set({ovsdb::namedUuid("bridge")}))})));
  return done(run(client_, operations, fmt::format("creating OVS bridge '{}'", request.name)));
}

util::Status Vswitch::deleteBridge(const std::string& name) const {
  auto bridge = requireBridge(client_, name);
  if (!bridge) {
    return bridge.error();
  }
  auto top = root(client_);
  if (!top) {
    return top.error();
  }
  // Bridge, Port and Interface rows are not roots: dropping the reference removes all three.
  return done(run(client_,
                  Json::array({ovsdb::mutate(
                      kRootTable, ovsdb::byUuid(top->uuid),
                      Json::array({ovsdb::mutation(
                          "bridges", "delete",
                          ovsdb::set({ovsdb::uuid(ovsdb::uuidOf((*bridge)["_uuid"]))}))}))}),
                  fmt::format("deleting OVS bridge '{}'", name)));
}

util::Status Vswitch::setBridgeVlan(const std::string& bridge_name, std::int64_t vlan) const {
  if (auto valid = checkVlan(vlan, "vlan"); !valid) {
    return valid;
  }
  auto bridge = requireBridge(client_, bridge_name);
  if (!bridge) {
    return bridge.error();
  }
  const std::string fake = fakeBridgeName(bridge_name, vlan);
  if (auto valid = checkDeviceName(fake, "fake bridge name"); !valid) {
    return valid;
  }
  auto existing = byName(client_, kPortTable, fake);
  if (!existing) {
    return existing.error();
  }
  if (!existing->is_null()) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("OVS port '{}' already exists (VLAN {} of bridge '{}')", fake, vlan,
                             bridge_name)};
  }
  Json operations = Json::array();
  Json port = internalPort(fake, vlan, true, "fake", operations);
  operations.push_back(mutateBridgePorts(ovsdb::uuidOf((*bridge)["_uuid"]), "insert", port));
  return done(run(client_, operations,
                  fmt::format("adding VLAN {} to OVS bridge '{}'", vlan, bridge_name)));
}

util::Status Vswitch::delBridgeVlan(const std::string& bridge_name, std::int64_t vlan) const {
  if (auto valid = checkVlan(vlan, "vlan"); !valid) {
    return valid;
  }
  auto bridge = requireBridge(client_, bridge_name);
  if (!bridge) {
    return bridge.error();
  }
  const std::string fake = fakeBridgeName(bridge_name, vlan);
  auto port = byName(client_, kPortTable, fake);
  if (!port) {
    return port.error();
  }
  const auto bridge_ports = ovsdb::uuids((*bridge)["ports"]);
  const std::string port_uuid = port->is_null() ? std::string() : ovsdb::uuidOf((*port)["_uuid"]);
  if (port_uuid.empty() ||
      std::find(bridge_ports.begin(), bridge_ports.end(), port_uuid) == bridge_ports.end() ||
      ovsdb::optionalInteger((*port)["tag"]) != vlan) {
    return Error{ErrorCode::NotFound,
                 fmt::format("OVS bridge '{}' has no VLAN {} (no port '{}'); nothing was changed",
                             bridge_name, vlan, fake)};
  }
  return done(run(client_,
                  Json::array({mutateBridgePorts(ovsdb::uuidOf((*bridge)["_uuid"]), "delete",
                                                 ovsdb::uuid(port_uuid))}),
                  fmt::format("removing VLAN {} from OVS bridge '{}'", vlan, bridge_name)));
}

util::Result<std::optional<OvsInterface>> Vswitch::findInterfaceByMac(
    const std::string& mac) const {
  auto parsed = parseMac(mac, "mac");
  if (!parsed) {
    return parsed.error();
  }
  const Json operations = Json::array(
      {ovsdb::select(kInterfaceTable,
                     Json::array({ovsdb::where("external_ids", "includes",
                                               ovsdb::map({{"attached-mac", *parsed}}))})),
       ovsdb::select(kInterfaceTable,
                     Json::array({ovsdb::where("mac_in_use", "==", ovsdb::set({*parsed}))})),
       ovsdb::select(kInterfaceTable,
                     Json::array({ovsdb::where("mac", "==", ovsdb::set({*parsed}))}))});
  auto result =
      run(client_, operations, fmt::format("looking up the OVS interface of MAC '{}'", *parsed));
  if (!result) {
    return result.error();
  }
  for (const auto& selected : *result) {
    const auto& rows = ovsdb::rowsOf(selected);
    if (rows.empty()) {
      continue;
    }
    const auto& row = rows[0];
    OvsInterface found{.uuid = ovsdb::uuidOf(row["_uuid"]),
                       .name = row.value("name", ""),
                       .iface_id = ovsdb::stringMap(row["external_ids"])["iface-id"]};
    auto port =
        run(client_,
            Json::array({ovsdb::select(
                kPortTable, Json::array({ovsdb::where("interfaces", "includes",
                                                      ovsdb::set({ovsdb::uuid(found.uuid)}))}))}),
            "reading the OVS port of an interface");
    if (!port) {
      return port.error();
    }
    if (const auto& ports = ovsdb::rowsOf((*port)[0]); !ports.empty()) {
      found.port_uuid = ovsdb::uuidOf(ports[0]["_uuid"]);
      found.port_name = ports[0].value("name", "");
      found.tag = ovsdb::optionalInteger(ports[0]["tag"]);
    }
    return std::optional<OvsInterface>(std::move(found));
  }
  return std::optional<OvsInterface>();
}

util::Status Vswitch::setIfaceId(const OvsInterface& interface, const std::string& iface_id) const {
  return done(run(
      client_,
      Json::array({ovsdb::mutate(
          kInterfaceTable, ovsdb::byUuid(interface.uuid),
          Json::array(
              {ovsdb::mutation("external_ids", "delete", ovsdb::stringSet({"iface-id"})),
               ovsdb::mutation("external_ids", "insert", ovsdb::map({{"iface-id", iface_id}}))}))}),
      fmt::format("setting iface-id of OVS interface '{}'", interface.name)));
}

util::Status Vswitch::setPortVlan(const std::string& mac, std::int64_t vlan) const {
  if (auto valid = checkVlan(vlan, "vlan"); !valid) {
    return valid;
  }
  auto found = findInterfaceByMac(mac);
  if (!found) {
    return found.error();
  }
  if (!found->has_value() || (*found)->port_uuid.empty()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("no OVS port carries an interface with MAC '{}'; is the VM NIC "
                             "plugged into an OVS bridge?",
                             mac)};
  }
  return done(run(
      client_,
      Json::array({ovsdb::update(kPortTable, ovsdb::byUuid((*found)->port_uuid), {{"tag", vlan}})}),
      fmt::format("tagging OVS port '{}' with VLAN {}", (*found)->port_name, vlan)));
}

util::Status Vswitch::clearPortVlan(const std::string& mac) const {
  auto found = findInterfaceByMac(mac);
  if (!found) {
    return found.error();
  }
  if (!found->has_value() || (*found)->port_uuid.empty()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("no OVS port carries an interface with MAC '{}'", mac)};
  }
  return done(run(client_,
                  Json::array({ovsdb::update(kPortTable, ovsdb::byUuid((*found)->port_uuid),
                                             {{"tag", ovsdb::emptySet()}})}),
                  fmt::format("clearing the VLAN of OVS port '{}'", (*found)->port_name)));
}

util::Result<std::string> Vswitch::bridgeMappings() const {
  auto top = root(client_);
  if (!top) {
    return top.error();
  }
  return top->external_ids.contains(kMappingsKey) ? top->external_ids.at(kMappingsKey)
                                                  : std::string();
}

util::Status Vswitch::addBridgeMapping(const std::string& network,
                                       const std::string& bridge) const {
  auto top = root(client_);
  if (!top) {
    return top.error();
  }
  auto mappings =
      splitMappings(top->external_ids.contains(kMappingsKey) ? top->external_ids.at(kMappingsKey)
                                                             : std::string());
  const std::string entry = fmt::format("{}:{}", network, bridge);
  if (std::find(mappings.begin(), mappings.end(), entry) != mappings.end()) {
    return util::ok();
  }
  mappings.insert(mappings.begin(), entry);
  return writeMappings(client_, *top, mappings);
}

util::Status Vswitch::removeBridgeMappings(const std::vector<std::string>& networks) const {
  if (networks.empty()) {
    return util::ok();
  }
  auto top = root(client_);
  if (!top) {
    return top.error();
  }
  auto mappings =
      splitMappings(top->external_ids.contains(kMappingsKey) ? top->external_ids.at(kMappingsKey)
                                                             : std::string());
  const auto before = mappings.size();
  std::erase_if(mappings, [&](const std::string& entry) {
    const std::string network = entry.substr(0, entry.find(':'));
    return std::find(networks.begin(), networks.end(), network) != networks.end();
  });
  if (mappings.size() == before) {
    return util::ok();
  }
  return writeMappings(client_, *top, mappings);
}

util::Result<Json> Vswitch::bridgeInfo(const std::string& name) const {
  Json info = {{"name", name}, {"uuid", ""}, {"ports", Json::array()}};
  auto bridge = byName(client_, kBridgeTable, name);
  if (!bridge) {
    return bridge.error();
  }
  if (!bridge->is_null()) {
    info["uuid"] = ovsdb::uuidOf((*bridge)["_uuid"]);
    for (const auto& port_uuid : ovsdb::uuids((*bridge)["ports"])) {
      auto port = run(client_, Json::array({ovsdb::select(kPortTable, ovsdb::byUuid(port_uuid))}),
                      "reading an OVS port");
      if (!port) {
        return port.error();
      }
      for (const auto& row : ovsdb::rowsOf((*port)[0])) {
        const auto tag = ovsdb::optionalInteger(row["tag"]);
        Json entry = {{"uuid", port_uuid},
                      {"name", row.value("name", "")},
                      {"vlan", tag ? std::to_string(*tag) : std::string("[]")},
                      {"interfaces", Json::array()}};
        for (const auto& interface_uuid : ovsdb::uuids(row["interfaces"])) {
          auto interface = run(
              client_, Json::array({ovsdb::select(kInterfaceTable, ovsdb::byUuid(interface_uuid))}),
              "reading an OVS interface");
          if (!interface) {
            return interface.error();
          }
          for (const auto& item : ovsdb::rowsOf((*interface)[0])) {
            entry["interfaces"].push_back(
                {{"uuid", interface_uuid},
                 {"mac", ovsdb::optionalString(item["mac_in_use"]).value_or("")},
                 {"name", item.value("name", "")}});
          }
        }
        info["ports"].push_back(std::move(entry));
      }
    }
  }
  return Json{{"bridgeInfo", info}};
}

}  // namespace univirt::ovnctl
