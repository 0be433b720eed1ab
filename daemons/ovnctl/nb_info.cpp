// delete-switch and the l3 refresh (dump_l3_network_info, crd-contract §3.6a.5).

#include <fmt/format.h>

#include "ovnctl/detail/nb_rows.h"
#include "ovnctl/northbound.h"

namespace univirt::ovnctl {
namespace {

using detail::kDhcpTable;
using detail::kPortTable;
using detail::kRouterPortTable;
using detail::kRouterTable;
using detail::kSwitchTable;
using ovsdb::Json;

// ovn-nbctl show prints sets as ["a", "b"] and strings quoted; upstream's refresh kept that
// text, so the same shape is produced here.
std::string showList(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& value : values) {
    quoted.push_back(Json(value).dump());
  }
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

// The uuid in upstream's DHCP marker port name "dhcpv4id-<switch>-<uuid>".
std::string markerUuid(const std::string& port, const std::string& switch_name) {
  for (const char* prefix : {"dhcpv4id-", "dhcpv6id-"}) {
    const std::string head = prefix + switch_name + "-";
    if (port.starts_with(head)) {
      return port.substr(head.size());
    }
  }
  return {};
}

}  // namespace

util::Result<SwitchDeleted> Northbound::deleteSwitch(const std::string& name) const {
  auto sw = detail::requireSwitch(client_, name, "name");
  if (!sw) {
    return sw.error();
  }
  auto ports = detail::portsOf(client_, *sw);
  if (!ports) {
    return ports.error();
  }
  auto router = detail::findRouter(client_, routerName(name));
  if (!router) {
    return router.error();
  }
  auto dhcp = detail::dhcpOf(client_, name);
  if (!dhcp) {
    return dhcp.error();
  }
  SwitchDeleted deleted;
  Json operations = Json::array();
  operations.push_back(ovsdb::remove(kSwitchTable, ovsdb::byUuid(sw->uuid)));
  for (const auto& port : *ports) {
    if (port.type == "localnet" && port.options.contains("network_name")) {
      deleted.localnet_networks.push_back(port.options.at("network_name"));
    }
    if (auto id = markerUuid(port.name, name); !id.empty()) {
      operations.push_back(
          ovsdb::remove(kDhcpTable, Json::array({ovsdb::where("_uuid", "==", ovsdb::uuid(id))})));
    }
  }
  if (dhcp->has_value() && (*dhcp)->external_ids.contains(kSwitchKey)) {
    operations.push_back(ovsdb::remove(kDhcpTable, ovsdb::byUuid((*dhcp)->uuid)));
  }
  if (router->has_value()) {
    operations.push_back(ovsdb::remove(kRouterTable, ovsdb::byUuid((*router)->uuid)));
    // Floating IPs linked the router to an external switch through a router-type port there;
    // without the router that port would dangle.
    auto router_ports = detail::rowsByUuid(client_, kRouterPortTable, (*router)->ports);
    if (!router_ports) {
      return router_ports.error();
    }
    for (const auto& row : *router_ports) {
      const auto lrp = detail::routerPortFrom(row);
      auto peer = detail::read(
          client_, Json::array({ovsdb::select(kPortTable, ovsdb::byName("from-" + lrp.name))}));
      if (!peer) {
        return peer.error();
      }
      for (const auto& peer_row : ovsdb::rowsOf((*peer)[0])) {
        const auto peer_port = detail::portFrom(peer_row);
        auto owner = detail::switchOfPort(client_, peer_port.uuid);
        if (!owner) {
          return owner.error();
        }
        if (owner->has_value() && (*owner)->uuid != sw->uuid) {
          operations.push_back(
              ovsdb::mutate(kSwitchTable, ovsdb::byUuid((*owner)->uuid),
                            Json::array({ovsdb::mutation(
                                "ports", "delete", ovsdb::set({ovsdb::uuid(peer_port.uuid)}))})));
        }
      }
    }
  }
  auto written =
      detail::write(client_, operations, fmt::format("deleting logical switch '{}'", name));
  if (!written) {
    return written.error();
  }
  return deleted;
}

util::Result<Json> Northbound::networkInfo(const std::string& name) const {
  Json switch_info = {{"id", ""}, {"name", ""}, {"ports", Json::array()}};
  Json router_info = {{"id", ""}, {"name", ""}, {"ports", Json::array()}};
  Json gateway_info = {
      {"id", ""}, {"server_mac", ""}, {"router", ""}, {"server_id", ""}, {"lease_time", ""}};
  auto sw = detail::findSwitch(client_, name);
  if (!sw) {
    return sw.error();
  }
  if (sw->has_value()) {
    const auto& row = **sw;
    switch_info["id"] = row.uuid;
    switch_info["name"] = row.name;
    auto ports = detail::portsOf(client_, row);
    if (!ports) {
      return ports.error();
    }
    for (const auto& port : *ports) {
      Json entry = {
          {"name", port.name},
          {"addresses", showList(port.addresses)},
          {"type", port.type},
          {"router_port",
           port.options.contains("router-port") ? port.options.at("router-port") : std::string()}};
      if (port.tag) {
        entry["tag"] = std::to_string(*port.tag);
      }
      switch_info["ports"].push_back(std::move(entry));
    }
    auto dhcp = detail::dhcpOf(client_, name);
    if (!dhcp) {
      return dhcp.error();
    }
    if (dhcp->has_value()) {
      const auto& options = (*dhcp)->options;
      gateway_info["id"] = (*dhcp)->uuid;
      for (const char* key : {"server_mac", "router", "server_id", "lease_time"}) {
        gateway_info[key] = options.contains(key) ? options.at(key) : std::string();
      }
    }
  }
  auto router = detail::findRouter(client_, routerName(name));
  if (!router) {
    return router.error();
  }
  if (router->has_value()) {
    router_info["id"] = (*router)->uuid;
    router_info["name"] = (*router)->name;
    auto rows = detail::rowsByUuid(client_, kRouterPortTable, (*router)->ports);
    if (!rows) {
      return rows.error();
    }
    for (const auto& row : *rows) {
      const auto port = detail::routerPortFrom(row);
      router_info["ports"].push_back({{"name", port.name},
                                      {"mac", Json(port.mac).dump()},
                                      {"networks", showList(port.networks)}});
    }
  }
  return Json{
      {"switchInfo", switch_info}, {"routerInfo", router_info}, {"gatewayInfo", gateway_info}};
}

}  // namespace univirt::ovnctl
