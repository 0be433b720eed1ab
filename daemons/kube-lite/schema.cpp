#include "kube-lite/schema.h"

#include <regex>
#include <set>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

const std::set<std::string> kObjectMetaFields = {"name",
                                                 "generateName",
                                                 "namespace",
                                                 "uid",
                                                 "resourceVersion",
                                                 "generation",
                                                 "creationTimestamp",
                                                 "deletionTimestamp",
                                                 "deletionGracePeriodSeconds",
                                                 "labels",
                                                 "annotations",
                                                 "ownerReferences",
                                                 "finalizers",
                                                 "managedFields",
                                                 "selfLink"};

std::string join(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

bool preserves(const json& schema) {
  return schema.is_object() && schema.value("x-kubernetes-preserve-unknown-fields", false);
}

void checkNode(const json& schema, const std::string& field, bool top, std::vector<Cause>& causes) {
  if (!schema.is_object()) {
    causes.push_back({"FieldValueInvalid", "Invalid value: must be an object", field});
    return;
  }
  if (schema.contains("$ref")) {
    causes.push_back({"FieldValueForbidden", "Forbidden: $ref is not allowed", field + ".$ref"});
  }
  bool has_type = schema.contains("type") && schema["type"].is_string();
  bool special = preserves(schema) || schema.value("x-kubernetes-int-or-string", false);
  if (!has_type && !special) {
    causes.push_back({"FieldValueRequired",
                      "Required value: must not be empty for specified "
                      "object fields",
                      field + ".type"});
  }
  if (schema.contains("properties")) {
    for (const auto& [key, child] : schema["properties"].items()) {
      if (top && key == "metadata" && child.is_object() && child.contains("properties")) {
        for (const auto& [meta_key, meta_child] : child["properties"].items()) {
          (void)meta_child;
          if (meta_key != "name" && meta_key != "generateName") {
            causes.push_back({"FieldValueForbidden",
                              "Forbidden: must not specify anything other than name and "
                              "generateName, but metadata is implicitly specified",
                              field + ".properties[metadata]"});
            break;
          }
        }
      }
      checkNode(child, fmt::format("{}.properties[{}]", field, key), false, causes);
    }
  }
  if (schema.contains("items")) {
    checkNode(schema["items"], field + ".items", false, causes);
  }
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    checkNode(schema["additionalProperties"], field + ".additionalProperties", false, causes);
  }
}

void prune(json& node, const json& schema, const std::string& path,
           std::vector<std::string>& pruned) {
  if (!schema.is_object() || preserves(schema)) {
    if (node.is_object() && schema.is_object() && schema.contains("properties")) {
      // Preserve unknown fields but still prune inside declared children.
      for (auto& [key, child] : node.items()) {
        if (schema["properties"].contains(key)) {
          prune(child, schema["properties"][key], join(path, key), pruned);
        }
      }
    }
    return;
  }
  if (node.is_object()) {
    const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
    const json* additional =
        schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    std::vector<std::string> remove;
    for (auto& [key, child] : node.items()) {
      if (props != nullptr && props->contains(key)) {
        prune(child, (*props)[key], join(path, key), pruned);
        continue;
      }
      if (additional != nullptr) {
        if (additional->is_object()) {
          prune(child, *additional, join(path, key), pruned);
        }
        if (!additional->is_boolean() || additional->get<bool>()) {
          continue;
        }
      }
      remove.push_back(key);
    }
    for (const auto& key : remove) {
      pruned.push_back(join(path, key));
      node.erase(key);
    }
    return;
  }
  if (node.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < node.size(); ++i) {
      prune(node[i], schema["items"], fmt::format("{}[{}]", path, i), pruned);
    }
  }
}

void defaults(json& node, const json& schema) {
  if (!schema.is_object()) {
    return;
  }
  if (node.is_object() && schema.contains("properties")) {
    for (const auto& [key, child] : schema["properties"].items()) {
      if (!node.contains(key) && child.is_object() && child.contains("default")) {
        node[key] = child["default"];
      }
      if (node.contains(key)) {
        defaults(node[key], child);
      }
    }
  }
  if (node.is_array() && schema.contains("items")) {
    for (auto& item : node) {
      defaults(item, schema["items"]);
    }
  }
}

std::string typeOf(const json& value) {
  if (value.is_object()) {
    return "object";
  }
  if (value.is_array()) {
    return "array";
  }
  if (value.is_string()) {
    return "string";
  }
  if (value.is_boolean()) {
    return "boolean";
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return "integer";
  }
  if (value.is_number_float()) {
    return "number";
  }
  return "null";
}

std::string shown(const json& value) {
  if (value.is_string()) {
    return "\"" + value.get<std::string>() + "\"";
  }
  if (value.is_object() || value.is_array()) {
    return "\"" + typeOf(value) + "\"";
  }
  return value.dump();
}

void validate(const json& value, const json& schema, const std::string& path,
              std::vector<Cause>& causes) {
  if (!schema.is_object()) {
    return;
  }
  if (value.is_null()) {
    if (!schema.value("nullable", false) && schema.contains("type")) {
      causes.push_back({"FieldValueTypeInvalid",
                        fmt::format("Invalid value: \"null\": {} in body must be of type {}: "
                                    "\"null\"",
                                    path, schema["type"].get<std::string>()),
                        path});
    }
    return;
  }
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!value.is_string() && !value.is_number_integer()) {
      causes.push_back({"FieldValueTypeInvalid",
                        fmt::format("Invalid value: {}: {} in body must be of type "
                                    "int-or-string: \"{}\"",
                                    shown(value), path, typeOf(value)),
                        path});
    }
    return;
  }
  if (schema.contains("type") && schema["type"].is_string()) {
    std::string want = schema["type"].get<std::string>();
    std::string have = typeOf(value);
    bool ok = want == have || (want == "number" && have == "integer");
    if (!ok) {
      causes.push_back({"FieldValueTypeInvalid",
                        fmt::format("Invalid value: \"{}\": {} in body must be of type {}: \"{}\"",
                                    have, path, want, have),
                        path});
      return;
    }
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    bool found = false;
    std::vector<std::string> allowed;
    for (const auto& option : schema["enum"]) {
      found = found || option == value;
      allowed.push_back(option.dump());
    }
    if (!found) {
      causes.push_back({"FieldValueNotSupported",
                        fmt::format("Unsupported value: {}: supported values: {}", value.dump(),
                                    fmt::join(allowed, ", ")),
                        path});
    }
  }
  if (value.is_number()) {
    double number = value.get<double>();
    if (schema.contains("minimum") && number < schema["minimum"].get<double>()) {
      causes.push_back({"FieldValueInvalid",
                        fmt::format("Invalid value: {}: {} in body should be greater than or "
                                    "equal to {}",
                                    value.dump(), path, schema["minimum"].dump()),
                        path});
    }
    if (schema.contains("maximum") && number > schema["maximum"].get<double>()) {
      causes.push_back({"FieldValueInvalid",
                        fmt::format("Invalid value: {}: {} in body should be less than or equal "
                                    "to {}",
                                    value.dump(), path, schema["maximum"].dump()),
                        path});
    }
  }
  if (value.is_string()) {
    auto text = value.get<std::string>();
    if (schema.contains("minLength") && text.size() < schema["minLength"].get<size_t>()) {
      causes.push_back({"FieldValueInvalid",
                        fmt::format("Invalid value: \"{}\": {} in body should be at least {} "
                                    "chars long",
                                    text, path, schema["minLength"].dump()),
                        path});
    }
    if (schema.contains("maxLength") && text.size() > schema["maxLength"].get<size_t>()) {
      causes.push_back(
          {"FieldValueTooLong",
           fmt::format("Too long: may not be more than {} bytes", schema["maxLength"].dump()),
           path});
    }
    if (schema.contains("pattern") && schema["pattern"].is_string()) {
      try {
        std::regex re(schema["pattern"].get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(text, re)) {
          causes.push_back({"FieldValueInvalid",
                            fmt::format("Invalid value: \"{}\": {} in body should match '{}'", text,
                                        path, schema["pattern"].get<std::string>()),
                            path});
        }
      } catch (const std::regex_error&) {
        // An unsupported pattern is not the object's fault; the CRD author sees it in review.
      }
    }
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
      causes.push_back({"FieldValueInvalid",
                        fmt::format("Invalid value: {}: {} in body should have at least {} items",
                                    value.size(), path, schema["minItems"].dump()),
                        path});
    }
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) {
      causes.push_back({"FieldValueTooMany",
                        fmt::format("Too many: {}: must have at most {} items", value.size(),
                                    schema["maxItems"].dump()),
                        path});
    }
    if (schema.contains("items")) {
      for (size_t i = 0; i < value.size(); ++i) {
        validate(value[i], schema["items"], fmt::format("{}[{}]", path, i), causes);
      }
    }
  }
  if (value.is_object()) {
    if (schema.contains("required") && schema["required"].is_array()) {
      for (const auto& key : schema["required"]) {
        if (key.is_string() && !value.contains(key.get<std::string>())) {
          causes.push_back(
              {"FieldValueRequired", "Required value", join(path, key.get<std::string>())});
        }
      }
    }
    for (const auto& [key, child] : value.items()) {
      if (schema.contains("properties") && schema["properties"].contains(key)) {
        validate(child, schema["properties"][key], join(path, key), causes);
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"].is_object()) {
        validate(child, schema["additionalProperties"], join(path, key), causes);
      }
    }
  }
}

}  // namespace

std::vector<Cause> checkStructural(const json& schema, const std::string& field) {
  std::vector<Cause> causes;
  checkNode(schema, field, true, causes);
  return causes;
}

std::vector<std::string> pruneObject(json& object, const json& schema) {
  std::vector<std::string> pruned;
  if (!object.is_object()) {
    return pruned;
  }
  if (object.contains("metadata") && object["metadata"].is_object()) {
    std::vector<std::string> remove;
    for (const auto& [key, child] : object["metadata"].items()) {
      (void)child;
      if (kObjectMetaFields.count(key) == 0) {
        remove.push_back(key);
      }
    }
    for (const auto& key : remove) {
      pruned.push_back("metadata." + key);
      object["metadata"].erase(key);
    }
  }
  if (!schema.is_object() || preserves(schema)) {
    return pruned;
  }
  std::vector<std::string> remove;
  for (auto& [key, child] : object.items()) {
    if (key == "apiVersion" || key == "kind" || key == "metadata") {
      continue;
    }
    if (schema.contains("properties") && schema["properties"].contains(key)) {
      prune(child, schema["properties"][key], key, pruned);
      continue;
    }
    remove.push_back(key);
  }
  for (const auto& key : remove) {
    pruned.push_back(key);
    object.erase(key);
  }
  return pruned;
}

void applyDefaults(json& object, const json& schema) {
  if (!object.is_object() || !schema.is_object() || !schema.contains("properties")) {
    return;
  }
  for (const auto& [key, child] : schema["properties"].items()) {
    if (key == "metadata" || key == "apiVersion" || key == "kind") {
      continue;
    }
    if (!object.contains(key) && child.is_object() && child.contains("default")) {
      object[key] = child["default"];
    }
    if (object.contains(key)) {
      defaults(object[key], child);
    }
  }
}

std::vector<Cause> validateObject(const json& object, const json& schema) {
  std::vector<Cause> causes;
  if (!schema.is_object()) {
    return causes;
  }
  json body = object;
  body.erase("metadata");
  body.erase("apiVersion");
  body.erase("kind");
  if (schema.contains("properties")) {
    for (const auto& [key, child] : body.items()) {
      if (schema["properties"].contains(key)) {
        validate(child, schema["properties"][key], key, causes);
      }
    }
  }
  if (schema.contains("required")) {
    for (const auto& key : schema["required"]) {
      if (key.is_string() && key != "metadata" && key != "apiVersion" && key != "kind" &&
          !body.contains(key.get<std::string>())) {
        causes.push_back({"FieldValueRequired", "Required value", key.get<std::string>()});
      }
    }
  }
  return causes;
}

}  // namespace univirt::kubelite
