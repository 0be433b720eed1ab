#include "ovnctl/detail/nb_rows.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "ovnctl/northbound.h"

namespace univirt::ovnctl::detail {
namespace {

using ovsdb::Json;

std::string text(const Json& row, const char* column) {
  if (row.contains(column) && row[column].is_string()) {
    return row[column].get<std::string>();
  }
  return {};
}

const Json& column(const Json& row, const char* name) {
  static const Json kNull;
  return row.contains(name) ? row[name] : kNull;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  for (const char c : line) {
    if (c == ' ') {
      if (!word.empty()) {
        out.push_back(std::move(word));
        word.clear();
      }
      continue;
    }
    word.push_back(c);
  }
  if (!word.empty()) {
    out.push_back(std::move(word));
  }
  return out;
}

bool looksLikeMac(const std::string& word) {
  return word.size() == 17 && word[2] == ':' && word[5] == ':';
}

}  // namespace

std::string PortRow::mac() const {
  for (const auto& entry : addresses) {
    const auto parts = words(entry);
    if (!parts.empty() && looksLikeMac(parts.front())) {
      std::string mac = parts.front();
      std::transform(mac.begin(), mac.end(), mac.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return mac;
    }
  }
  return {};
}

std::string PortRow::ip() const {
  for (const auto& entry : addresses) {
    const auto parts = words(entry);
    if (parts.size() >= 2 && looksLikeMac(parts[0]) && parts[1] != "dynamic") {
      return parts[1];
    }
  }
  if (dynamic_addresses) {
    const auto parts = words(*dynamic_addresses);
    if (parts.size() >= 2) {
      return parts[1];
    }
  }
  return {};
}

util::Result<Json> read(const OvsdbClient& client, const Json& operations) {
  return client.transact(operations);
}

util::Result<Json> write(const OvsdbClient& client, const Json& operations, std::string_view what) {
  auto result = client.transact(operations);
  if (!result) {
    return result.error().withContext(what);
  }
  return result;
}

SwitchRow switchFrom(const Json& row) {
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .name = text(row, "name"),
          .ports = ovsdb::uuids(column(row, "ports")),
          .acls = ovsdb::uuids(column(row, "acls")),
          .qos_rules = ovsdb::uuids(column(row, "qos_rules")),
          .other_config = ovsdb::stringMap(column(row, "other_config"))};
}

PortRow portFrom(const Json& row) {
  std::vector<std::string> dhcp = ovsdb::uuids(column(row, "dhcpv4_options"));
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .name = text(row, "name"),
          .type = text(row, "type"),
          .addresses = ovsdb::strings(column(row, "addresses")),
          .dynamic_addresses = ovsdb::optionalString(column(row, "dynamic_addresses")),
          .tag = ovsdb::optionalInteger(column(row, "tag")),
          .options = ovsdb::stringMap(column(row, "options")),
          .external_ids = ovsdb::stringMap(column(row, "external_ids")),
          .dhcpv4_options = dhcp.empty() ? std::string() : dhcp.front()};
}

RouterRow routerFrom(const Json& row) {
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .name = text(row, "name"),
          .ports = ovsdb::uuids(column(row, "ports")),
          .nat = ovsdb::uuids(column(row, "nat"))};
}

RouterPortRow routerPortFrom(const Json& row) {
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .name = text(row, "name"),
          .mac = text(row, "mac"),
          .networks = ovsdb::strings(column(row, "networks"))};
}

NatRow natFrom(const Json& row) {
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .type = text(row, "type"),
          .external_ip = text(row, "external_ip"),
          .logical_ip = text(row, "logical_ip"),
          .external_ids = ovsdb::stringMap(column(row, "external_ids"))};
}

RuleRow ruleFrom(const Json& row) {
  RuleRow rule;
  rule.uuid = ovsdb::uuidOf(column(row, "_uuid"));
  rule.direction = text(row, "direction");
  rule.match = text(row, "match");
  rule.action = text(row, "action");
  rule.external_ids = ovsdb::stringMap(column(row, "external_ids"));
  if (row.contains("priority") && row["priority"].is_number_integer()) {
    rule.priority = row["priority"].get<std::int64_t>();
  }
  const Json& bandwidth = column(row, "bandwidth");
  if (bandwidth.is_array() && bandwidth.size() == 2 && bandwidth[0] == "map") {
    for (const auto& pair : bandwidth[1]) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() &&
          pair[1].is_number_integer()) {
        rule.bandwidth[pair[0].get<std::string>()] = pair[1].get<std::int64_t>();
      }
    }
  }
  return rule;
}

DhcpRow dhcpFrom(const Json& row) {
  return {.uuid = ovsdb::uuidOf(column(row, "_uuid")),
          .cidr = text(row, "cidr"),
          .options = ovsdb::stringMap(column(row, "options")),
          .external_ids = ovsdb::stringMap(column(row, "external_ids"))};
}

util::Result<std::optional<SwitchRow>> findSwitch(const OvsdbClient& client,
                                                  const std::string& name) {
  auto result = read(client, Json::array({ovsdb::select(kSwitchTable, ovsdb::byName(name))}));
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  if (rows.empty()) {
    return std::optional<SwitchRow>();
  }
  if (rows.size() > 1) {
    return util::Error{util::ErrorCode::Conflict,
                       fmt::format("there are {} logical switches named '{}'; remove the "
                                   "duplicates with ovn-nbctl first",
                                   rows.size(), name)};
  }
  return std::optional<SwitchRow>(switchFrom(rows[0]));
}

util::Result<SwitchRow> requireSwitch(const OvsdbClient& client, const std::string& name,
                                      std::string_view parameter) {
  auto found = findSwitch(client, name);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("logical switch '{}' ({}) does not exist; nothing was changed",
                                   name, parameter)};
  }
  return std::move(**found);
}

util::Result<std::optional<RouterRow>> findRouter(const OvsdbClient& client,
                                                  const std::string& name) {
  auto result = read(client, Json::array({ovsdb::select(kRouterTable, ovsdb::byName(name))}));
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  if (rows.empty()) {
    return std::optional<RouterRow>();
  }
  return std::optional<RouterRow>(routerFrom(rows[0]));
}

util::Result<std::vector<Json>> rowsByUuid(const OvsdbClient& client, std::string_view table,
                                           const std::vector<std::string>& uuids) {
  std::vector<Json> rows;
  if (uuids.empty()) {
    return rows;
  }
  Json operations = Json::array();
  for (const auto& id : uuids) {
    operations.push_back(ovsdb::select(table, ovsdb::byUuid(id)));
  }
  auto result = read(client, operations);
  if (!result) {
    return result.error();
  }
  for (const auto& selected : *result) {
    for (const auto& row : ovsdb::rowsOf(selected)) {
      rows.push_back(row);
    }
  }
  return rows;
}

util::Result<std::vector<PortRow>> portsOf(const OvsdbClient& client, const SwitchRow& sw) {
  auto rows = rowsByUuid(client, kPortTable, sw.ports);
  if (!rows) {
    return rows.error();
  }
  std::vector<PortRow> ports;
  for (const auto& row : *rows) {
    ports.push_back(portFrom(row));
  }
  std::sort(ports.begin(), ports.end(),
            [](const PortRow& a, const PortRow& b) { return a.name < b.name; });
  return ports;
}

util::Result<std::optional<DhcpRow>> dhcpOf(const OvsdbClient& client, const std::string& name) {
  const Json ours =
      Json::array({ovsdb::where("external_ids", "includes", ovsdb::map({{kSwitchKey, name}}))});
  const Json kube_ovn =
      Json::array({ovsdb::where("options", "includes", ovsdb::map({{"ref", name}}))});
  auto result = read(
      client, Json::array({ovsdb::select(kDhcpTable, ours), ovsdb::select(kDhcpTable, kube_ovn)}));
  if (!result) {
    return result.error();
  }
  for (const auto& selected : *result) {
    const auto& rows = ovsdb::rowsOf(selected);
    if (!rows.empty()) {
      return std::optional<DhcpRow>(dhcpFrom(rows[0]));
    }
  }
  return std::optional<DhcpRow>();
}

util::Result<std::optional<SwitchRow>> switchOfPort(const OvsdbClient& client,
                                                    const std::string& port_uuid) {
  const Json condition =
      Json::array({ovsdb::where("ports", "includes", ovsdb::set({ovsdb::uuid(port_uuid)}))});
  auto result = read(client, Json::array({ovsdb::select(kSwitchTable, condition)}));
  if (!result) {
    return result.error();
  }
  const auto& rows = ovsdb::rowsOf((*result)[0]);
  if (rows.empty()) {
    return std::optional<SwitchRow>();
  }
  return std::optional<SwitchRow>(switchFrom(rows[0]));
}

Json waitSwitchPorts(const SwitchRow& sw) {
  std::vector<Json> ports;
  for (const auto& id : sw.ports) {
    ports.push_back(ovsdb::uuid(id));
  }
  return ovsdb::waitEquals(kSwitchTable, ovsdb::byUuid(sw.uuid), {"ports"},
                           Json::array({{{"ports", ovsdb::set(ports)}}}));
}

}  // namespace univirt::ovnctl::detail
