#include "kube-lite/table.h"

#include <ctime>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

constexpr const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

std::string cellText(const json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_object() && value.empty()) {
    return "map[]";
  }
  return value.dump();
}

json cell(const PrinterColumn& column, const json& object,
          std::chrono::system_clock::time_point now) {
  auto value = column.path.evaluate(object);
  if (!value || value->is_null()) {
    return nullptr;
  }
  if (column.type == "date") {
    if (!value->is_string()) {
      return "<invalid>";
    }
    if (column.name == "Created At") {
      return *value;
    }
    std::chrono::system_clock::time_point when;
    if (!parseTimestamp(value->get<std::string>(), when)) {
      return "<invalid>";
    }
    return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - when));
  }
  if (column.type == "integer") {
    return value->is_number() ? json(value->get<long long>()) : json(nullptr);
  }
  if (column.type == "number") {
    return value->is_number() ? *value : json(nullptr);
  }
  if (column.type == "boolean") {
    return value->is_boolean() ? *value : json(nullptr);
  }
  return cellText(*value);
}

}  // namespace

std::string humanDuration(std::chrono::seconds age) {
  long long seconds = age.count();
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 120) {
    return fmt::format("{}s", seconds);
  }
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long rest = seconds % 60;
    return rest == 0 ? fmt::format("{}m", minutes) : fmt::format("{}m{}s", minutes, rest);
  }
  if (minutes < 3 * 60) {
    return fmt::format("{}m", minutes);
  }
  long long hours = minutes / 60;
  if (hours < 8) {
    long long rest = minutes % 60;
    return rest == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, rest);
  }
  if (hours < 48) {
    return fmt::format("{}h", hours);
  }
  if (hours < 8 * 24) {
    long long rest = hours % 24;
    return rest == 0 ? fmt::format("{}d", hours / 24) : fmt::format("{}d{}h", hours / 24, rest);
  }
  if (hours < 2 * 365 * 24) {
    return fmt::format("{}d", hours / 24);
  }
  if (hours < 8 * 365 * 24) {
    long long years = hours / (365 * 24);
    long long days = (hours / 24) % 365;
    return days == 0 ? fmt::format("{}y", years) : fmt::format("{}y{}d", years, days);
  }
  return fmt::format("{}y", hours / (365 * 24));
}

bool parseTimestamp(const std::string& text, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return false;
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  if (rest.empty() || rest.back() != 'Z') {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string formatTimestamp(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json tableColumnDefinitions(const ResourceType& type) {
  json columns = json::array();
  columns.push_back({{"name", "Name"},
                     {"type", "string"},
                     {"format", "name"},
                     {"description", kNameDescription},
                     {"priority", 0}});
  for (const auto& column : type.columns) {
    columns.push_back({{"name", column.name},
                       {"type", column.type},
                       {"format", column.format},
                       {"description", column.description},
                       {"priority", column.priority}});
  }
  return columns;
}

json tableRow(const ResourceType& type, const json& object, IncludeObject include,
              std::chrono::system_clock::time_point now) {
  json cells = json::array();
  cells.push_back(object["metadata"].value("name", ""));
  for (const auto& column : type.columns) {
    cells.push_back(cell(column, object, now));
  }
  json row = {{"cells", cells}};
  if (include == IncludeObject::Metadata) {
    row["object"] = {{"kind", "PartialObjectMetadata"},
                     {"apiVersion", "meta.k8s.io/v1"},
                     {"metadata", object["metadata"]}};
  } else if (include == IncludeObject::Object) {
    row["object"] = object;
  }
  return row;
}

json buildTable(const ResourceType& type, const std::vector<json>& objects, IncludeObject include,
                bool with_columns, std::chrono::system_clock::time_point now) {
  json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", json::object()}};
  if (with_columns) {
    table["columnDefinitions"] = tableColumnDefinitions(type);
  }
  json rows = json::array();
  for (const auto& object : objects) {
    rows.push_back(tableRow(type, object, include, now));
  }
  table["rows"] = rows;
  return table;
}

}  // namespace univirt::kubelite
