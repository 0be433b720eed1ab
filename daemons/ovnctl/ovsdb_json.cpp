#include "ovnctl/ovsdb_json.h"

namespace univirt::ovnctl::ovsdb {

Json uuid(std::string_view id) { return Json::array({"uuid", id}); }

Json namedUuid(std::string_view name) { return Json::array({"named-uuid", name}); }

Json set(std::vector<Json> atoms) { return Json::array({"set", Json(std::move(atoms))}); }

Json stringSet(const std::vector<std::string>& values) {
  Json items = Json::array();
  for (const auto& value : values) {
    items.push_back(value);
  }
  return Json::array({"set", items});
}

Json map(const StringMap& values) {
  Json pairs = Json::array();
  for (const auto& [key, value] : values) {
    pairs.push_back(Json::array({key, value}));
  }
  return Json::array({"map", pairs});
}

Json emptySet() { return Json::array({"set", Json::array()}); }

std::vector<Json> atoms(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array()) {
    return value[1].get<std::vector<Json>>();
  }
  if (value.is_null()) {
    return {};
  }
  return {value};
}

std::vector<std::string> strings(const Json& value) {
  std::vector<std::string> out;
  for (const auto& atom : atoms(value)) {
    if (atom.is_string()) {
      out.push_back(atom.get<std::string>());
    }
  }
  return out;
}

std::string uuidOf(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid" && value[1].is_string()) {
    return value[1].get<std::string>();
  }
  return {};
}

std::vector<std::string> uuids(const Json& value) {
  std::vector<std::string> out;
  for (const auto& atom : atoms(value)) {
    if (auto id = uuidOf(atom); !id.empty()) {
      out.push_back(std::move(id));
    }
  }
  return out;
}

StringMap stringMap(const Json& value) {
  StringMap out;
  if (!value.is_array() || value.size() != 2 || value[0] != "map" || !value[1].is_array()) {
    return out;
  }
  for (const auto& pair : value[1]) {
    if (pair.is_array() && pair.size() == 2) {
      out[pair[0].is_string() ? pair[0].get<std::string>() : pair[0].dump()] =
          pair[1].is_string() ? pair[1].get<std::string>() : pair[1].dump();
    }
  }
  return out;
}

std::optional<std::int64_t> optionalInteger(const Json& value) {
  for (const auto& atom : atoms(value)) {
    if (atom.is_number_integer()) {
      return atom.get<std::int64_t>();
    }
  }
  return std::nullopt;
}

std::optional<std::string> optionalString(const Json& value) {
  for (const auto& atom : atoms(value)) {
    if (atom.is_string()) {
      return atom.get<std::string>();
    }
  }
  return std::nullopt;
}

Json where(std::string_view column, std::string_view function, Json value) {
  return Json::array({column, function, std::move(value)});
}

Json byName(std::string_view name) { return Json::array({where("name", "==", name)}); }

Json byUuid(std::string_view id) { return Json::array({where("_uuid", "==", uuid(id))}); }

Json select(std::string_view table, Json conditions, std::vector<std::string> columns) {
  Json op = {{"op", "select"}, {"table", table}, {"where", std::move(conditions)}};
  if (!columns.empty()) {
    op["columns"] = columns;
  }
  return op;
}

Json insert(std::string_view table, Json row, std::string_view uuid_name) {
  Json op = {{"op", "insert"}, {"table", table}, {"row", std::move(row)}};
  if (!uuid_name.empty()) {
    op["uuid-name"] = uuid_name;
  }
  return op;
}

Json update(std::string_view table, Json conditions, Json row) {
  return {{"op", "update"},
          {"table", table},
          {"where", std::move(conditions)},
          {"row", std::move(row)}};
}

Json mutate(std::string_view table, Json conditions, Json mutations) {
  return {{"op", "mutate"},
          {"table", table},
          {"where", std::move(conditions)},
          {"mutations", std::move(mutations)}};
}

Json mutation(std::string_view column, std::string_view mutator, Json value) {
  return Json::array({column, mutator, std::move(value)});
}

Json remove(std::string_view table, Json conditions) {
  return {{"op", "delete"}, {"table", table}, {"where", std::move(conditions)}};
}

Json waitEquals(std::string_view table, Json conditions, std::vector<std::string> columns,
                Json rows) {
  return {{"op", "wait"},           {"timeout", 0},
          {"table", table},         {"where", std::move(conditions)},
          {"columns", columns},     {"until", "=="},
          {"rows", std::move(rows)}};
}

const Json& rowsOf(const Json& select_result) {
  static const Json kEmpty = Json::array();
  if (select_result.is_object() && select_result.contains("rows") &&
      select_result["rows"].is_array()) {
    return select_result["rows"];
  }
  return kEmpty;
}

}  // namespace univirt::ovnctl::ovsdb
