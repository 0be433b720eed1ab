#include "kube-lite/crd.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "kube-lite/resource_registry.h"
#include "kube-lite/schema.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string str(const json& node, const char* key) {
  if (!node.is_object()) {
    return "";
  }
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> strings(const json& node, const char* key) {
  std::vector<std::string> out;
  if (node.is_object() && node.contains(key) && node[key].is_array()) {
    for (const auto& item : node[key]) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, const std::string& now) {
  return {{"type", type},
          {"status", status},
          {"reason", reason},
          {"message", message},
          {"lastTransitionTime", now}};
}

}  // namespace

std::vector<Cause> defaultAndValidateCrd(json& crd) {
  std::vector<Cause> causes;
  if (!crd.contains("spec") || !crd["spec"].is_object()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec"});
    return causes;
  }
  json& spec = crd["spec"];
  json& names = spec["names"];
  if (!names.is_object()) {
    names = json::object();
  }
  std::string kind = str(names, "kind");
  std::string plural = str(names, "plural");
  std::string group = str(spec, "group");
  if (kind.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
  }
  if (plural.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.names.plural"});
  }
  if (group.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.group"});
  }
  std::string scope = str(spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back({"FieldValueNotSupported",
                      fmt::format("Unsupported value: \"{}\": supported values: \"Cluster\", "
                                  "\"Namespaced\"",
                                  scope),
                      "spec.scope"});
  }
  std::string name = crd["metadata"].value("name", "");
  if (!plural.empty() && !group.empty() && name != plural + "." + group) {
    causes.push_back(
        {"FieldValueInvalid",
         fmt::format("Invalid value: \"{}\": must be spec.names.plural+\".\"+spec.group", name),
         "metadata.name"});
  }
  if (str(names, "singular").empty() && !kind.empty()) {
    names["singular"] = lower(kind);
  }
  if (str(names, "listKind").empty() && !kind.empty()) {
    names["listKind"] = kind + "List";
  }
  if (!spec.contains("conversion")) {
    spec["conversion"] = {{"strategy", "None"}};
  }
  if (!spec.contains("versions") || !spec["versions"].is_array() || spec["versions"].empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.versions"});
    return causes;
  }
  int storage = 0;
  for (size_t i = 0; i < spec["versions"].size(); ++i) {
    json& version = spec["versions"][i];
    std::string field = fmt::format("spec.versions[{}]", i);
    if (str(version, "name").empty()) {
      causes.push_back({"FieldValueRequired", "Required value", field + ".name"});
    }
    if (version.value("storage", false)) {
      ++storage;
    }
    if (!version.contains("served")) {
      version["served"] = true;
    }
    const json* schema = nullptr;
    if (version.contains("schema") && version["schema"].contains("openAPIV3Schema")) {
      schema = &version["schema"]["openAPIV3Schema"];
    }
    if (schema == nullptr) {
      causes.push_back({"FieldValueRequired", "Required value: schemas are required",
                        field + ".schema.openAPIV3Schema"});
      continue;
    }
    for (auto& cause : checkStructural(*schema, field + ".schema.openAPIV3Schema")) {
      causes.push_back(std::move(cause));
    }
  }
  if (storage != 1) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: must have exactly one version marked as "
                      "storage version",
                      "spec.versions"});
  }
  return causes;
}

void setCrdStatus(json& crd, const std::vector<json>& others, const std::string& now) {
  const json& spec = crd["spec"];
  const json& names = spec["names"];
  std::string group = str(spec, "group");
  std::string conflict;
  for (const auto& other : others) {
    if (other["metadata"].value("name", "") == crd["metadata"].value("name", "") ||
        str(other["spec"], "group") != group) {
      continue;
    }
    const json& other_names = other["spec"]["names"];
    if (str(other_names, "plural") == str(names, "plural")) {
      conflict = fmt::format("\"{}\" is already in use", str(names, "plural"));
    } else if (str(other_names, "kind") == str(names, "kind")) {
      conflict = fmt::format("\"{}\" is already in use", str(names, "kind"));
    }
    for (const auto& short_name : strings(names, "shortNames")) {
      for (const auto& other_short : strings(other_names, "shortNames")) {
        if (short_name == other_short) {
          conflict = fmt::format("\"{}\" is already in use", short_name);
        }
      }
    }
  }
  json status =
      crd.contains("status") && crd["status"].is_object() ? crd["status"] : json::object();
  auto previous_time = [&](const std::string& type, const std::string& value) {
    if (status.contains("conditions")) {
      for (const auto& cond : status["conditions"]) {
        if (cond.value("type", "") == type && cond.value("status", "") == value) {
          return cond.value("lastTransitionTime", now);
        }
      }
    }
    return now;
  };
  json conditions = json::array();
  if (conflict.empty()) {
    conditions.push_back(condition("NamesAccepted", "True", "NoConflicts", "no conflicts found",
                                   previous_time("NamesAccepted", "True")));
    conditions.push_back(condition("Established", "True", "InitialNamesAccepted",
                                   "the initial names have been accepted",
                                   previous_time("Established", "True")));
    status["acceptedNames"] = names;
  } else {
    std::string reason = str(names, "plural") == conflict ? "PluralConflict" : "NameConflict";
    conditions.push_back(condition("NamesAccepted", "False", "AlreadyInUse", conflict,
                                   previous_time("NamesAccepted", "False")));
    conditions.push_back(condition("Established", "False", "NotAccepted",
                                   "not all names are accepted",
                                   previous_time("Established", "False")));
    status["acceptedNames"] = {{"plural", ""}, {"kind", ""}};
  }
  if (crd["metadata"].contains("deletionTimestamp")) {
    conditions.push_back(condition("Terminating", "True", "InstanceDeletionInProgress",
                                   "CustomResource deletion is in progress", now));
  }
  status["conditions"] = conditions;
  json stored = status.contains("storedVersions") && status["storedVersions"].is_array()
                    ? status["storedVersions"]
                    : json::array();
  for (const auto& version : spec["versions"]) {
    if (version.value("storage", false)) {
      std::string name = str(version, "name");
      if (std::find(stored.begin(), stored.end(), json(name)) == stored.end()) {
        stored.push_back(name);
      }
    }
  }
  status["storedVersions"] = stored;
  crd["status"] = status;
}

bool crdIsEstablished(const json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) {
    return false;
  }
  for (const auto& cond : crd["status"]["conditions"]) {
    if (cond.value("type", "") == "Established") {
      return cond.value("status", "") == "True";
    }
  }
  return false;
}

std::vector<ResourceType> typesFromCrd(const json& crd) {
  std::vector<ResourceType> types;
  const json& spec = crd["spec"];
  const json& names = spec["names"];
  for (const auto& version : spec["versions"]) {
    if (!version.value("served", true)) {
      continue;
    }
    ResourceType type;
    type.group = str(spec, "group");
    type.version = str(version, "name");
    type.plural = str(names, "plural");
    type.singular = str(names, "singular");
    type.kind = str(names, "kind");
    type.list_kind = str(names, "listKind");
    type.namespaced = str(spec, "scope") != "Cluster";
    type.short_names = strings(names, "shortNames");
    type.categories = strings(names, "categories");
    type.builtin = false;
    type.has_status = version.contains("subresources") && version["subresources"].is_object() &&
                      version["subresources"].contains("status");
    if (version.contains("schema") && version["schema"].contains("openAPIV3Schema")) {
      type.schema = version["schema"]["openAPIV3Schema"];
      type.description = type.schema.value("description", "");
    }
    if (version.contains("additionalPrinterColumns")) {
      for (const auto& col : version["additionalPrinterColumns"]) {
        PrinterColumn column;
        column.name = str(col, "name");
        column.type = str(col, "type");
        column.format = str(col, "format");
        column.json_path = str(col, "jsonPath");
        column.priority = col.value("priority", 0);
        column.description = str(col, "description");
        if (column.description.empty()) {
          column.description =
              "Custom resource definition column (in JSONPath format): " + column.json_path;
        }
        auto path = JsonPath::parse(column.json_path);
        if (!path) {
          continue;
        }
        column.path = std::move(*path);
        type.columns.push_back(std::move(column));
      }
    } else {
      type.columns.push_back(ageColumn());
    }
    if (version.contains("selectableFields")) {
      for (const auto& field : version["selectableFields"]) {
        std::string path = str(field, "jsonPath");
        if (!path.empty() && path[0] == '.') {
          type.extra_field_selectors.push_back(path.substr(1));
        }
      }
    }
    types.push_back(std::move(type));
  }
  return types;
}

}  // namespace univirt::kubelite
