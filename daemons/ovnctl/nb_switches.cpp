// Logical switches: create/modify/delete-switch of kubeovn-adm (crd-contract §3.6a.3) and the
// dump_l3_network_info refresh.

#include <algorithm>

#include <fmt/format.h>

#include "ovnctl/detail/nb_rows.h"
#include "ovnctl/northbound.h"
#include "ovnctl/validation.h"

namespace univirt::ovnctl {
namespace {

using detail::kDhcpTable;
using detail::kPortTable;
using detail::kRouterPortTable;
using detail::kRouterTable;
using detail::kSwitchTable;
using ovsdb::Json;
using util::Error;
using util::ErrorCode;

constexpr const char* kLeaseTime = "3600";
constexpr std::int64_t kDefaultMtu = 1500;

util::Status checkMtu(std::int64_t mtu) {
  if (mtu < 68 || mtu > 65535) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("mtu '{}' is not between 68 and 65535", mtu)};
  }
  return util::ok();
}

// An address inside `subnet` that is neither its network nor (IPv4) its broadcast address.
util::Result<IpAddress> hostIn(const Cidr& subnet, const std::string& text, std::string_view what) {
  auto ip = parseIp(text, what);
  if (!ip) {
    return ip.error();
  }
  if (!subnet.contains(*ip) || ip->text == subnet.address.text) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("{} '{}' is not a host address of subnet '{}'", what, text, subnet.toString())};
  }
  return ip;
}

Json optionalInteger(const std::optional<std::int64_t>& value) {
  return value ? Json(*value) : ovsdb::emptySet();
}

}  // namespace

std::string routerName(const std::string& switch_name) { return switch_name + "-router"; }

std::string routerPortName(const std::string& switch_name) { return switch_name + "-router-port"; }

std::string localnetPortName(const std::string& switch_name, const std::string& node_name) {
  return fmt::format("to-{}-router-port-{}-localnet", switch_name, node_name);
}

std::string floatingPortName(const std::string& mac) {
  std::string compact;
  std::copy_if(mac.begin(), mac.end(), std::back_inserter(compact),
               [](char c) { return c != ':'; });
  return fmt::format("public-{}-port", compact);
}

util::Result<SwitchCreated> Northbound::createSwitch(const CreateSwitchRequest& request) const {
  if (auto valid = checkOvnName(request.name, "switch name"); !valid) {
    return valid.error();
  }
  auto subnet = parseCidr(request.subnet, "subnet", true);
  if (!subnet) {
    return subnet.error();
  }
  const std::int64_t mtu = request.mtu.value_or(kDefaultMtu);
  if (auto valid = checkMtu(mtu); !valid) {
    return valid.error();
  }
  if (request.vlan_id) {
    if (auto valid = checkVlan(*request.vlan_id, "vlanId"); !valid) {
      return valid.error();
    }
  }
  const bool with_router = !request.dhcp.empty();
  if (!with_router) {
    for (const auto& [value, param] :
         {std::pair{&request.gateway, "gateway"}, std::pair{&request.bridge, "bridge"},
          std::pair{&request.dns_server, "dnsServer"}}) {
      if (!value->empty()) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("{} needs dhcp (the router port address); without dhcp no "
                                 "router or DHCP options are made",
                                 param)};
      }
    }
  }
  if (request.vlan_id && request.bridge.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 "vlanId tags the localnet uplink and needs bridge (and dhcp)"};
  }
  if (!request.bridge.empty()) {
    if (auto valid = checkDeviceName(request.bridge, "bridge"); !valid) {
      return valid.error();
    }
  }
  ovsdb::StringMap other_config;
  if (!subnet->address.v6) {
    other_config["subnet"] = subnet->toString();
  } else if (subnet->prefix == 64) {
    other_config["ipv6_prefix"] = subnet->address.text;
  }
  if (!request.exclude_ips.empty()) {
    auto exclude = parseExcludeIps(request.exclude_ips, "excludeIPs");
    if (!exclude) {
      return exclude.error();
    }
    other_config["exclude_ips"] = *exclude;
  }

  Json operations = Json::array();
  operations.push_back(
      ovsdb::waitEquals(kSwitchTable, ovsdb::byName(request.name), {"name"}, Json::array()));
  std::vector<Json> ports;
  SwitchCreated created;
  if (with_router) {
    auto server = hostIn(*subnet, request.dhcp, "dhcp");
    if (!server) {
      return server.error();
    }
    std::string router_ip = server->text;
    if (!request.gateway.empty()) {
      auto gateway = hostIn(*subnet, request.gateway, "gateway");
      if (!gateway) {
        return gateway.error();
      }
      router_ip = gateway->text;
    }
    ovsdb::StringMap options;
    const std::string rmac = randomRouterMac();
    if (!subnet->address.v6) {
      options = {{"server_id", server->text},
                 {"server_mac", rmac},
                 {"lease_time", kLeaseTime},
                 {"router", router_ip},
                 {"mtu", std::to_string(mtu)}};
    } else {
      options = {{"server_id", rmac}};
    }
    if (!request.dns_server.empty()) {
      auto dns = parseIp(request.dns_server, "dnsServer");
      if (!dns) {
        return dns.error();
      }
      options["dns_server"] = dns->text;
    }
    const std::string router = routerName(request.name);
    operations.push_back(
        ovsdb::waitEquals(kRouterTable, ovsdb::byName(router), {"name"}, Json::array()));
    operations.push_back(ovsdb::insert(kDhcpTable,
                                       {{"cidr", subnet->toString()},
                                        {"options", ovsdb::map(options)},
                                        {"external_ids", ovsdb::map({{kSwitchKey, request.name}})}},
                                       "dhcp"));
    operations.push_back(ovsdb::insert(
        kRouterPortTable,
        {{"name", routerPortName(request.name)},
         {"mac", rmac},
         {"networks", ovsdb::stringSet({fmt::format("{}/{}", server->text, subnet->prefix)})}},
        "lrp"));
    operations.push_back(ovsdb::insert(
        kRouterTable, {{"name", router}, {"ports", ovsdb::set({ovsdb::namedUuid("lrp")})}}));
    operations.push_back(
        ovsdb::insert(kPortTable,
                      {{"name", "mapping-to-" + router},
                       {"type", "router"},
                       {"addresses", ovsdb::stringSet({rmac})},
                       {"options", ovsdb::map({{"router-port", routerPortName(request.name)}})}},
                      "mapping"));
    ports.push_back(ovsdb::namedUuid("mapping"));
    if (!request.bridge.empty()) {
      const std::string sport = localnetPortName(request.name, request.node_name);
      std::string compact = rmac;
      compact.erase(std::remove(compact.begin(), compact.end(), ':'), compact.end());
      created.localnet_network = fmt::format("{}-{}", compact, sport);
      operations.push_back(
          ovsdb::insert(kPortTable,
                        {{"name", sport},
                         {"type", "localnet"},
                         {"addresses", ovsdb::stringSet({"unknown"})},
                         {"options", ovsdb::map({{"network_name", created.localnet_network}})},
                         {"tag", optionalInteger(request.vlan_id)}},
                        "localnet"));
      ports.push_back(ovsdb::namedUuid("localnet"));
    }
  }
  operations.push_back(ovsdb::insert(kSwitchTable, {{"name", request.name},
                                                    {"other_config", ovsdb::map(other_config)},
                                                    {"ports", ovsdb::set(ports)}}));
  auto written =
      detail::write(client_, operations, fmt::format("creating logical switch '{}'", request.name));
  if (!written) {
    if (written.error().code == ErrorCode::Conflict) {
      return Error{ErrorCode::AlreadyExists,
                   fmt::format("logical switch '{}' or its router '{}' already exists; nothing "
                               "was changed",
                               request.name, routerName(request.name))};
    }
    return written.error();
  }
  return created;
}

util::Status Northbound::modifySwitch(const ModifySwitchRequest& request) const {
  auto sw = detail::requireSwitch(client_, request.name, "name");
  if (!sw) {
    return sw.error();
  }
  auto dhcp = detail::dhcpOf(client_, request.name);
  if (!dhcp) {
    return dhcp.error();
  }
  const bool touches_dhcp = !request.dhcp.empty() || !request.gateway.empty() || request.mtu ||
                            !request.dns_server.empty();
  if (!touches_dhcp && !request.vlan_id) {
    return Error{ErrorCode::InvalidArgument,
                 "nothing to change: give dhcp, gateway, mtu, dnsServer or vlanId"};
  }
  Json operations = Json::array();
  operations.push_back(ovsdb::waitEquals(kSwitchTable, ovsdb::byUuid(sw->uuid), {"name"},
                                         Json::array({{{"name", request.name}}})));
  if (touches_dhcp) {
    if (!dhcp->has_value()) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("logical switch '{}' has no DHCP options (it was created without "
                               "dhcp); nothing was changed",
                               request.name)};
    }
    const detail::DhcpRow& row = **dhcp;
    auto cidr = parseCidr(row.cidr, "DHCP cidr", false);
    if (!cidr) {
      return cidr.error();
    }
    ovsdb::StringMap options = row.options;
    if (!request.dhcp.empty()) {
      auto server = hostIn(*cidr, request.dhcp, "dhcp");
      if (!server) {
        return server.error();
      }
      options["server_id"] = server->text;
      operations.push_back(ovsdb::update(
          kRouterPortTable, ovsdb::byName(routerPortName(request.name)),
          {{"networks", ovsdb::stringSet({fmt::format("{}/{}", server->text, cidr->prefix)})}}));
    }
    if (!request.gateway.empty()) {
      auto gateway = hostIn(*cidr, request.gateway, "gateway");
      if (!gateway) {
        return gateway.error();
      }
      options["router"] = gateway->text;
    }
    if (request.mtu) {
      if (auto valid = checkMtu(*request.mtu); !valid) {
        return valid.error();
      }
      options["mtu"] = std::to_string(*request.mtu);
    }
    if (!request.dns_server.empty()) {
      auto dns = parseIp(request.dns_server, "dnsServer");
      if (!dns) {
        return dns.error();
      }
      options["dns_server"] = dns->text;
    }
    operations.push_back(ovsdb::waitEquals(kDhcpTable, ovsdb::byUuid(row.uuid), {"options"},
                                           Json::array({{{"options", ovsdb::map(row.options)}}})));
    operations.push_back(
        ovsdb::update(kDhcpTable, ovsdb::byUuid(row.uuid), {{"options", ovsdb::map(options)}}));
  }
  if (request.vlan_id) {
    if (auto valid = checkVlan(*request.vlan_id, "vlanId"); !valid) {
      return valid.error();
    }
    auto ports = detail::portsOf(client_, *sw);
    if (!ports) {
      return ports.error();
    }
    const auto localnet = std::find_if(ports->begin(), ports->end(),
                                       [](const auto& port) { return port.type == "localnet"; });
    if (localnet == ports->end()) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("logical switch '{}' has no localnet uplink to tag (it was created "
                               "without bridge); nothing was changed",
                               request.name)};
    }
    operations.push_back(
        ovsdb::update(kPortTable, ovsdb::byUuid(localnet->uuid), {{"tag", *request.vlan_id}}));
  }
  auto written = detail::write(client_, operations,
                               fmt::format("modifying logical switch '{}'", request.name));
  if (!written) {
    return written.error();
  }
  return util::ok();
}

}  // namespace univirt::ovnctl
