#include "kube-lite/field_types.h"

#include <map>
#include <set>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

struct BuiltinList {
  ListKind kind;
  std::vector<std::string> keys;
};

// +listType/+listMapKey of the built-in API types, by field name (kube-lite serves no two
// built-in lists of the same name with different keys, except ports: see portKeys()).
const std::map<std::string, BuiltinList>& builtinLists() {
  static const std::map<std::string, BuiltinList> kLists = {
      {"finalizers", {ListKind::Set, {}}},
      {"ownerReferences", {ListKind::Map, {"uid"}}},
      {"containers", {ListKind::Map, {"name"}}},
      {"initContainers", {ListKind::Map, {"name"}}},
      {"ephemeralContainers", {ListKind::Map, {"name"}}},
      {"volumes", {ListKind::Map, {"name"}}},
      {"env", {ListKind::Map, {"name"}}},
      {"imagePullSecrets", {ListKind::Map, {"name"}}},
      {"resourceClaims", {ListKind::Map, {"name"}}},
      {"volumeMounts", {ListKind::Map, {"mountPath"}}},
      {"volumeDevices", {ListKind::Map, {"devicePath"}}},
      {"hostAliases", {ListKind::Map, {"ip"}}},
      {"conditions", {ListKind::Map, {"type"}}},
      {"addresses", {ListKind::Map, {"type"}}},
      {"topologySpreadConstraints", {ListKind::Map, {"topologyKey", "whenUnsatisfiable"}}},
      {"ports", {ListKind::Map, {}}},
  };
  return kLists;
}

// Container ports are keyed by containerPort and protocol, Service ports by port and protocol;
// protocol defaults to TCP (structured-merge-diff fills omitted keys from their defaults).
ListRule portRule(const json* sample) {
  ListRule rule;
  rule.kind = ListKind::Map;
  bool container = sample != nullptr && sample->is_object() && sample->contains("containerPort");
  rule.keys = {container ? "containerPort" : "port", "protocol"};
  rule.key_defaults = {{"protocol", "TCP"}};
  return rule;
}

const json* firstObjectItem(const json* lhs, const json* rhs) {
  for (const json* list : {lhs, rhs}) {
    if (list == nullptr || !list->is_array()) {
      continue;
    }
    for (const auto& item : *list) {
      if (item.is_object()) {
        return &item;
      }
    }
  }
  return nullptr;
}

bool hasKeys(const ListRule& rule, const json& item) {
  if (!item.is_object()) {
    return false;
  }
  for (const auto& key : rule.keys) {
    if (!item.contains(key) && !rule.key_defaults.contains(key)) {
      return false;
    }
  }
  return true;
}

// False when the list cannot be read with `rule`: then it is atomic.
bool fits(const ListRule& rule, const json* list) {
  if (list == nullptr || !list->is_array()) {
    return true;
  }
  std::set<std::string> seen;
  for (const auto& item : *list) {
    if (rule.kind == ListKind::Map && !hasKeys(rule, item)) {
      return false;
    }
    if (rule.kind == ListKind::Set && (item.is_object() || item.is_array())) {
      return false;
    }
    if (!seen.insert(FieldType::itemElement(rule, item)).second) {
      return false;
    }
  }
  return true;
}

// A string-valued schema extension, "" when absent or not a string.
std::string extension(const json& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

FieldType FieldType::forResource(const ResourceType& type) {
  if (!type.builtin && type.schema.is_object()) {
    FieldType root = fromSchema(type.schema);
    root.root_ = true;
    return root;
  }
  return builtin();
}

FieldType FieldType::builtin() {
  FieldType type;
  type.mode_ = Mode::Builtin;
  type.root_ = true;
  return type;
}

FieldType FieldType::fromSchema(const json& schema) {
  FieldType type;
  if (!schema.is_object()) {
    return type;  // not structural: nothing to go by
  }
  type.mode_ = Mode::Schema;
  type.schema_ = &schema;
  return type;
}

FieldType FieldType::field(const std::string& name) const {
  FieldType child;
  switch (mode_) {
    case Mode::Builtin:
      child.mode_ = Mode::Builtin;
      child.name_ = name;
      return child;
    case Mode::Deduced:
      return child;
    case Mode::Schema:
      break;
  }
  if (root_ && name == "metadata") {
    // A CRD schema says nothing about ObjectMeta; its lists follow the built-in rules.
    child.mode_ = Mode::Builtin;
    child.name_ = name;
    return child;
  }
  const json& schema = *schema_;
  auto props = schema.find("properties");
  if (props != schema.end() && props->is_object() && props->contains(name)) {
    return fromSchema((*props)[name]);
  }
  auto additional = schema.find("additionalProperties");
  if (additional != schema.end() && additional->is_object()) {
    return fromSchema(*additional);
  }
  return child;
}

FieldType FieldType::item() const {
  FieldType child;
  if (mode_ == Mode::Builtin) {
    child.mode_ = Mode::Builtin;
    return child;
  }
  if (mode_ == Mode::Schema) {
    auto items = schema_->find("items");
    if (items != schema_->end() && items->is_object()) {
      return fromSchema(*items);
    }
  }
  return child;
}

bool FieldType::declares(const std::string& name) const {
  switch (mode_) {
    case Mode::Builtin:
      return true;
    case Mode::Deduced:
      return false;
    case Mode::Schema:
      break;
  }
  if (root_ && (name == "apiVersion" || name == "kind" || name == "metadata")) {
    return true;
  }
  auto props = schema_->find("properties");
  return props != schema_->end() && props->is_object() && props->contains(name);
}

bool FieldType::atomicMap() const {
  return mode_ == Mode::Schema && extension(*schema_, "x-kubernetes-map-type") == "atomic";
}

ListRule FieldType::declaredRule(const json* sample) const {
  ListRule rule;
  if (mode_ == Mode::Builtin) {
    auto it = builtinLists().find(name_);
    if (it == builtinLists().end()) {
      return rule;
    }
    if (name_ == "ports") {
      return portRule(sample);
    }
    rule.kind = it->second.kind;
    rule.keys = it->second.keys;
    return rule;
  }
  if (mode_ != Mode::Schema) {
    return rule;
  }
  std::string list_type = extension(*schema_, "x-kubernetes-list-type");
  if (list_type == "set") {
    rule.kind = ListKind::Set;
    return rule;
  }
  if (list_type != "map") {
    return rule;
  }
  auto keys = schema_->find("x-kubernetes-list-map-keys");
  if (keys == schema_->end() || !keys->is_array() || keys->empty()) {
    return rule;
  }
  rule.kind = ListKind::Map;
  const json* item_props = nullptr;
  if (schema_->contains("items") && (*schema_)["items"].contains("properties")) {
    item_props = &(*schema_)["items"]["properties"];
  }
  for (const auto& key : *keys) {
    if (!key.is_string()) {
      return ListRule{};
    }
    std::string name = key.get<std::string>();
    rule.keys.push_back(name);
    if (item_props != nullptr && item_props->contains(name) &&
        (*item_props)[name].contains("default")) {
      rule.key_defaults[name] = (*item_props)[name]["default"];
    }
  }
  return rule;
}

ListRule FieldType::listRule(const json* lhs, const json* rhs) const {
  ListRule rule = declaredRule(firstObjectItem(lhs, rhs));
  if (rule.kind == ListKind::Atomic) {
    return rule;
  }
  if (!fits(rule, lhs) || !fits(rule, rhs)) {
    return ListRule{};
  }
  return rule;
}

std::string FieldType::itemElement(const ListRule& rule, const json& item) {
  if (rule.kind == ListKind::Set) {
    return "v:" + item.dump();
  }
  json keys = json::object();
  for (const auto& key : rule.keys) {
    if (item.is_object() && item.contains(key)) {
      keys[key] = item[key];
    } else if (rule.key_defaults.contains(key)) {
      keys[key] = rule.key_defaults[key];
    }
  }
  return "k:" + keys.dump();
}

}  // namespace univirt::kubelite
