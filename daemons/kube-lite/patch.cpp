#include "kube-lite/patch.h"

#include <map>
#include <set>

namespace univirt::kubelite {

using nlohmann::json;

PatchOutcome applyMergePatch(const json& target, const json& patch) {
  if (!patch.is_object()) {
    // RFC 7386: a non-object patch replaces the whole document, which no Kubernetes object
    // survives; the real server rejects it while decoding.
    return {false, 400, "json: cannot unmarshal into Go value of type map[string]interface {}", {}};
  }
  json result = target;
  result.merge_patch(patch);
  return {true, 0, "", std::move(result)};
}

PatchOutcome applyJsonPatch(const json& target, const json& patch) {
  if (!patch.is_array()) {
    return {false, 400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch", {}};
  }
  for (const auto& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path")) {
      return {false, 400, "the JSON patch operation is missing 'op' or 'path'", {}};
    }
  }
  try {
    return {true, 0, "", target.patch(patch)};
  } catch (const json::out_of_range& e) {
    return {false,
            422,
            std::string("the server rejected our request due to an error in our "
                        "request: ") +
                e.what(),
            {}};
  } catch (const json::other_error& e) {
    // A failed "test" operation.
    return {false,
            422,
            std::string("the server rejected our request due to an error in our "
                        "request: ") +
                e.what(),
            {}};
  } catch (const json::exception& e) {
    return {false, 400, e.what(), {}};
  }
}

namespace {

// The "$patch" directive of a patch element, or "" (json::value() upsets GCC 12's
// -Wnull-dereference at -O2).
std::string directive(const json& element) {
  if (!element.is_object()) {
    return "";
  }
  for (const auto& [key, value] : element.items()) {
    if (key == "$patch" && value.is_string()) {
      return value.get<std::string>();
    }
  }
  return "";
}

// patchMergeKey by list field name, for the built-in kinds kube-lite serves.
const std::map<std::string, std::string> kMergeKeys = {{"containers", "name"},
                                                       {"initContainers", "name"},
                                                       {"ephemeralContainers", "name"},
                                                       {"volumes", "name"},
                                                       {"env", "name"},
                                                       {"ports", "containerPort"},
                                                       {"volumeMounts", "mountPath"},
                                                       {"volumeDevices", "devicePath"},
                                                       {"imagePullSecrets", "name"},
                                                       {"ownerReferences", "uid"},
                                                       {"conditions", "type"},
                                                       {"hostAliases", "ip"},
                                                       {"tolerations", "key"},
                                                       {"addresses", "type"},
                                                       {"taints", "key"},
                                                       {"secrets", "name"}};

// Primitive lists merged as sets.
const std::set<std::string> kSetLists = {"finalizers"};

json merge(const json& target, const json& patch, const std::string& field);

json mergeList(const json& target, const json& patch, const std::string& field) {
  auto key_it = kMergeKeys.find(field);
  if (kSetLists.count(field) != 0) {
    json result = target.is_array() ? target : json::array();
    for (const auto& item : patch) {
      if (std::find(result.begin(), result.end(), item) == result.end()) {
        result.push_back(item);
      }
    }
    return result;
  }
  if (key_it == kMergeKeys.end() || !target.is_array()) {
    json result = json::array();
    for (const auto& item : patch) {
      if (item.is_object() && item.contains("$patch")) {
        continue;
      }
      result.push_back(item);
    }
    return result;
  }
  const std::string& key = key_it->second;
  // Ports in a Service are keyed by "port", in a container by "containerPort".
  std::string effective = key;
  if (key == "containerPort" && !patch.empty() && patch[0].is_object() &&
      !patch[0].contains("containerPort") && patch[0].contains("port")) {
    effective = "port";
  }
  json result = target;
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(effective)) {
      if (item.is_object() && directive(item) == "replace") {
        continue;
      }
      result.push_back(item);
      continue;
    }
    bool remove = directive(item) == "delete";
    bool found = false;
    for (size_t i = 0; i < result.size(); ++i) {
      if (result[i].is_object() && result[i].contains(effective) &&
          result[i][effective] == item[effective]) {
        found = true;
        if (remove) {
          result.erase(result.begin() + static_cast<long>(i));
        } else {
          result[i] = merge(result[i], item, field);
        }
        break;
      }
    }
    if (!found && !remove) {
      result.push_back(merge(json::object(), item, field));
    }
  }
  return result;
}

json merge(const json& target, const json& patch, const std::string& field) {
  (void)field;
  if (!patch.is_object()) {
    return patch;
  }
  if (directive(patch) == "replace") {
    json copy = patch;
    copy.erase("$patch");
    return copy;
  }
  json result = target.is_object() ? target : json::object();
  for (const auto& [key, value] : patch.items()) {
    if (key == "$patch" || key == "$retainKeys" || key.rfind("$setElementOrder/", 0) == 0) {
      continue;
    }
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string list = key.substr(std::string("$deleteFromPrimitiveList/").size());
      if (result.contains(list) && result[list].is_array()) {
        json kept = json::array();
        for (const auto& item : result[list]) {
          if (std::find(value.begin(), value.end(), item) == value.end()) {
            kept.push_back(item);
          }
        }
        result[list] = kept;
      }
      continue;
    }
    if (value.is_null()) {
      result.erase(key);
      continue;
    }
    if (directive(value) == "delete") {
      result.erase(key);
      continue;
    }
    if (value.is_array()) {
      result[key] = mergeList(result.contains(key) ? result[key] : json::array(), value, key);
      continue;
    }
    if (value.is_object()) {
      result[key] = merge(result.contains(key) ? result[key] : json::object(), value, key);
      continue;
    }
    result[key] = value;
  }
  return result;
}

}  // namespace

PatchOutcome applyStrategicMergePatch(const json& target, const json& patch) {
  if (!patch.is_object()) {
    return {false, 400, "strategic merge patch must be a JSON object", {}};
  }
  return {true, 0, "", merge(target, patch, "")};
}

}  // namespace univirt::kubelite
