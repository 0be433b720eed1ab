// Address sets (create/modify/delete-address) and floating IPs (bind/unbind-fip),
// crd-contract §3.6a.3.

#include <algorithm>

#include <fmt/format.h>

#include "ovnctl/detail/nb_rows.h"
#include "ovnctl/northbound.h"
#include "ovnctl/validation.h"

namespace univirt::ovnctl {
namespace {

using detail::kAddressSetTable;
using detail::kNatTable;
using detail::kPortTable;
using detail::kRouterPortTable;
using detail::kRouterTable;
using detail::kSwitchTable;
using ovsdb::Json;
using util::Error;
using util::ErrorCode;

util::Result<Json> findAddressSet(const OvsdbClient& client, const std::string& name) {
  auto result =
      detail::read(client, Json::array({ovsdb::select(kAddressSetTable, ovsdb::byName(name))}));
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  return rows.empty() ? Json() : rows[0];
}

util::Result<std::optional<detail::RouterRow>> requireRouterOf(const OvsdbClient& client,
                                                               const std::string& switch_name) {
  auto router = detail::findRouter(client, routerName(switch_name));
  if (!router) {
    return router.error();
  }
  if (!router->has_value()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("logical switch '{}' has no router '{}' (create the switch with "
                             "dhcp to get one); nothing was changed",
                             switch_name, routerName(switch_name))};
  }
  return router;
}

}  // namespace

util::Status Northbound::createAddressSet(const std::string& name,
                                          const std::string& addresses) const {
  if (auto valid = checkOvnName(name, "address set name"); !valid) {
    return valid.error();
  }
  auto list = parseAddressList(addresses, "address");
  if (!list) {
    return list.error();
  }
  auto existing = findAddressSet(client_, name);
  if (!existing) {
    return existing.error();
  }
  if (!existing->is_null()) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("address set '{}' already exists; use modifyAddress", name)};
  }
  // Upstream wrote `address=`, which only worked through ovsdb-ctl's prefix matching; the
  // column is `addresses`.
  auto written = detail::write(
      client_,
      Json::array({ovsdb::insert(kAddressSetTable,
                                 {{"name", name}, {"addresses", ovsdb::stringSet(*list)}})}),
      fmt::format("creating address set '{}'", name));
  return written ? util::ok() : util::Status(written.error());
}

util::Status Northbound::modifyAddressSet(const std::string& name,
                                          const std::string& addresses) const {
  auto list = parseAddressList(addresses, "address");
  if (!list) {
    return list.error();
  }
  auto existing = findAddressSet(client_, name);
  if (!existing) {
    return existing.error();
  }
  if (existing->is_null()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("address set '{}' does not exist; nothing was changed", name)};
  }
  auto written =
      detail::write(client_,
                    Json::array({ovsdb::update(kAddressSetTable, ovsdb::byName(name),
                                               {{"addresses", ovsdb::stringSet(*list)}})}),
                    fmt::format("modifying address set '{}'", name));
  return written ? util::ok() : util::Status(written.error());
}

util::Status Northbound::deleteAddressSet(const std::string& name) const {
  auto existing = findAddressSet(client_, name);
  if (!existing) {
    return existing.error();
  }
  if (existing->is_null()) {
    return Error{ErrorCode::NotFound, fmt::format("address set '{}' does not exist", name)};
  }
  auto written =
      detail::write(client_, Json::array({ovsdb::remove(kAddressSetTable, ovsdb::byName(name))}),
                    fmt::format("deleting address set '{}'", name));
  return written ? util::ok() : util::Status(written.error());
}

util::Status Northbound::bindFloatingIp(const FloatingIpRequest& request) const {
  auto mac = parseMac(request.vm_mac, "vmmac");
  if (!mac) {
    return mac.error();
  }
  auto fip = parseCidr(request.fip, "fip", false);
  if (!fip) {
    return fip.error();
  }
  auto sw = detail::requireSwitch(client_, request.switch_name, "swName");
  if (!sw) {
    return sw.error();
  }
  auto out = detail::requireSwitch(client_, request.out_switch, "outSwName");
  if (!out) {
    return out.error();
  }
  auto router = requireRouterOf(client_, request.switch_name);
  if (!router) {
    return router.error();
  }
  auto ports = detail::portsOf(client_, *sw);
  if (!ports) {
    return ports.error();
  }
  const auto vm_port = std::find_if(ports->begin(), ports->end(),
                                    [&](const auto& port) { return port.mac() == *mac; });
  if (vm_port == ports->end()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("no port with MAC '{}' on logical switch '{}'; nothing was changed",
                             *mac, request.switch_name)};
  }
  const std::string vm_ip = vm_port->ip();
  if (vm_ip.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("port '{}' (MAC '{}') has no IP address yet; bind it with a fixed ip "
                             "or wait for OVN to assign one",
                             vm_port->name, *mac)};
  }
  const std::string fport = floatingPortName(*mac);
  auto existing = detail::read(
      client_,
      Json::array({ovsdb::select(kRouterPortTable, ovsdb::byName(fport)),
                   ovsdb::select(kNatTable, Json::array({ovsdb::where(
                                                "external_ip", "==", fip->address.text)}))}));
  if (!existing) {
    return existing.error();
  }
  if (!ovsdb::rowsOf((*existing)[0]).empty() || !ovsdb::rowsOf((*existing)[1]).empty()) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("MAC '{}' already has a floating IP or '{}' is already in use; "
                             "unbind it first",
                             *mac, fip->address.text)};
  }
  const std::string imac = randomRouterMac();
  const ovsdb::StringMap ids = {{kMacKey, *mac}, {kRouterKey, (*router)->name}};
  Json operations = Json::array();
  operations.push_back(detail::waitSwitchPorts(*sw));
  operations.push_back(ovsdb::insert(kRouterPortTable,
                                     {{"name", fport},
                                      {"mac", imac},
                                      {"networks", ovsdb::stringSet({fip->toString()})},
                                      {"external_ids", ovsdb::map(ids)}},
                                     "fport"));
  operations.push_back(ovsdb::insert(kPortTable,
                                     {{"name", "from-" + fport},
                                      {"type", "router"},
                                      {"addresses", ovsdb::stringSet({imac})},
                                      {"options", ovsdb::map({{"router-port", fport}})},
                                      {"external_ids", ovsdb::map(ids)}},
                                     "peer"));
  // Two rows as upstream (dnat + snat), both tagged so unbind removes exactly these.
  for (const char* type : {"dnat", "snat"}) {
    operations.push_back(ovsdb::insert(kNatTable,
                                       {{"type", type},
                                        {"external_ip", fip->address.text},
                                        {"logical_ip", vm_ip},
                                        {"external_ids", ovsdb::map(ids)}},
                                       type));
  }
  operations.push_back(ovsdb::mutate(
      kRouterTable, ovsdb::byUuid((*router)->uuid),
      Json::array(
          {ovsdb::mutation("ports", "insert", ovsdb::set({ovsdb::namedUuid("fport")})),
           ovsdb::mutation("nat", "insert",
                           ovsdb::set({ovsdb::namedUuid("dnat"), ovsdb::namedUuid("snat")}))})));
  operations.push_back(ovsdb::mutate(
      kSwitchTable, ovsdb::byUuid(out->uuid),
      Json::array({ovsdb::mutation("ports", "insert", ovsdb::set({ovsdb::namedUuid("peer")}))})));
  auto written =
      detail::write(client_, operations,
                    fmt::format("binding floating IP '{}' to MAC '{}'", fip->address.text, *mac));
  return written ? util::ok() : util::Status(written.error());
}

util::Status Northbound::unbindFloatingIp(const FloatingIpRequest& request) const {
  auto mac = parseMac(request.vm_mac, "vmmac");
  if (!mac) {
    return mac.error();
  }
  const std::string fip_text = request.fip.substr(0, request.fip.find('/'));
  auto fip = parseIp(fip_text, "fip");
  if (!fip) {
    return fip.error();
  }
  std::string vm_ip;
  if (!request.vm_ip.empty()) {
    auto parsed = parseIp(request.vm_ip, "vmip");
    if (!parsed) {
      return parsed.error();
    }
    vm_ip = parsed->text;
  }
  auto router = requireRouterOf(client_, request.switch_name);
  if (!router) {
    return router.error();
  }
  auto nat_rows = detail::rowsByUuid(client_, kNatTable, (*router)->nat);
  if (!nat_rows) {
    return nat_rows.error();
  }
  // The dnat row names the VM IP when vmip was not given; upstream then deleted every snat row.
  std::vector<detail::NatRow> nats;
  for (const auto& row : *nat_rows) {
    nats.push_back(detail::natFrom(row));
  }
  if (vm_ip.empty()) {
    for (const auto& nat : nats) {
      if (nat.type == "dnat" && nat.external_ip == fip->text) {
        vm_ip = nat.logical_ip;
      }
    }
  }
  std::vector<Json> doomed;
  for (const auto& nat : nats) {
    const bool dnat = nat.type == "dnat" && nat.external_ip == fip->text &&
                      (vm_ip.empty() || nat.logical_ip == vm_ip);
    const bool snat = nat.type == "snat" && nat.external_ip == fip->text && nat.logical_ip == vm_ip;
    if (dnat || snat) {
      doomed.push_back(ovsdb::uuid(nat.uuid));
    }
  }
  const std::string fport = floatingPortName(*mac);
  auto ports = detail::read(
      client_, Json::array({ovsdb::select(kRouterPortTable, ovsdb::byName(fport)),
                            ovsdb::select(kPortTable, ovsdb::byName("from-" + fport))}));
  if (!ports) {
    return ports.error();
  }
  const auto& lrps = ovsdb::rowsOf((*ports)[0]);
  const auto& peers = ovsdb::rowsOf((*ports)[1]);
  if (doomed.empty() && lrps.empty()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("floating IP '{}' is not bound to MAC '{}' on router '{}'", fip->text,
                             *mac, (*router)->name)};
  }
  Json operations = Json::array();
  Json router_mutations = Json::array();
  if (!doomed.empty()) {
    router_mutations.push_back(ovsdb::mutation("nat", "delete", ovsdb::set(doomed)));
  }
  if (!lrps.empty()) {
    router_mutations.push_back(ovsdb::mutation(
        "ports", "delete", ovsdb::set({ovsdb::uuid(ovsdb::uuidOf(lrps[0]["_uuid"]))})));
  }
  operations.push_back(
      ovsdb::mutate(kRouterTable, ovsdb::byUuid((*router)->uuid), router_mutations));
  for (const auto& peer : peers) {
    const std::string id = ovsdb::uuidOf(peer["_uuid"]);
    auto owner = detail::switchOfPort(client_, id);
    if (!owner) {
      return owner.error();
    }
    if (owner->has_value()) {
      operations.push_back(ovsdb::mutate(
          kSwitchTable, ovsdb::byUuid((*owner)->uuid),
          Json::array({ovsdb::mutation("ports", "delete", ovsdb::set({ovsdb::uuid(id)}))})));
    }
  }
  auto written =
      detail::write(client_, operations,
                    fmt::format("unbinding floating IP '{}' from MAC '{}'", fip->text, *mac));
  return written ? util::ok() : util::Status(written.error());
}

}  // namespace univirt::ovnctl
