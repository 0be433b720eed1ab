#include "kube-lite/discovery.h"

#include <map>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

const json kVerbs = {"create", "delete", "deletecollection", "get",
                     "list",   "patch",  "update",           "watch"};
const json kStatusVerbs = {"get", "patch", "update"};

// Groups in first-seen order, each with its versions in first-seen order.
std::vector<std::pair<std::string, std::vector<std::string>>> groupsOf(const RegistrySnapshot& snap,
                                                                       bool core) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& type : *snap) {
    if (type.group.empty() != core) {
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& entry) { return entry.first == type.group; });
    if (it == groups.end()) {
      groups.push_back({type.group, {type.version}});
      continue;
    }
    if (std::find(it->second.begin(), it->second.end(), type.version) == it->second.end()) {
      it->second.push_back(type.version);
    }
  }
  return groups;
}

json groupJson(const std::string& group, const std::vector<std::string>& versions) {
  json jversions = json::array();
  for (const auto& version : versions) {
    jversions.push_back(
        {{"groupVersion", fmt::format("{}/{}", group, version)}, {"version", version}});
  }
  return {{"name", group}, {"versions", jversions}, {"preferredVersion", jversions[0]}};
}

}  // namespace

json versionInfo(const std::string& minor) {
  return {{"major", "1"},
          {"minor", minor},
          {"gitVersion", fmt::format("v1.{}.0-kubelite", minor)},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2026-01-01T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json legacyApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

json apiGroupList(const RegistrySnapshot& snap) {
  json groups = json::array();
  for (const auto& [group, versions] : groupsOf(snap, false)) {
    groups.push_back(groupJson(group, versions));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> apiGroup(const RegistrySnapshot& snap, const std::string& group) {
  for (const auto& [name, versions] : groupsOf(snap, false)) {
    if (name == group) {
      json out = groupJson(name, versions);
      out["kind"] = "APIGroup";
      out["apiVersion"] = "v1";
      return out;
    }
  }
  return std::nullopt;
}

std::optional<json> apiResourceList(const RegistrySnapshot& snap, const std::string& group,
                                    const std::string& version) {
  json resources = json::array();
  bool found = false;
  for (const auto& type : *snap) {
    if (type.group != group || type.version != version) {
      continue;
    }
    found = true;
    json entry = {{"name", type.plural},
                  {"singularName", type.singular},
                  {"namespaced", type.namespaced},
                  {"kind", type.kind},
                  {"verbs", kVerbs}};
    if (!type.short_names.empty()) {
      entry["shortNames"] = type.short_names;
    }
    if (!type.categories.empty()) {
      entry["categories"] = type.categories;
    }
    resources.push_back(entry);
    if (type.has_status) {
      resources.push_back({{"name", type.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", type.namespaced},
                           {"kind", type.kind},
                           {"verbs", kStatusVerbs}});
    }
  }
  if (!found) {
    return std::nullopt;
  }
  std::string gv = group.empty() ? version : group + "/" + version;
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv},
              {"resources", resources}};
}

json aggregatedDiscovery(const RegistrySnapshot& snap, bool core, const std::string& api_version) {
  json items = json::array();
  for (const auto& [group, versions] : groupsOf(snap, core)) {
    json jversions = json::array();
    for (const auto& version : versions) {
      json resources = json::array();
      for (const auto& type : *snap) {
        if (type.group != group || type.version != version) {
          continue;
        }
        json gvk = {{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
        json entry = {{"resource", type.plural},
                      {"responseKind", gvk},
                      {"scope", type.namespaced ? "Namespaced" : "Cluster"},
                      {"singularResource", type.singular},
                      {"verbs", kVerbs}};
        if (!type.short_names.empty()) {
          entry["shortNames"] = type.short_names;
        }
        if (!type.categories.empty()) {
          entry["categories"] = type.categories;
        }
        if (type.has_status) {
          entry["subresources"] = json::array(
              {{{"subresource", "status"}, {"responseKind", gvk}, {"verbs", kStatusVerbs}}});
        }
        resources.push_back(entry);
      }
      jversions.push_back(
          {{"version", version}, {"resources", resources}, {"freshness", "Current"}});
    }
    json metadata = {{"creationTimestamp", nullptr}};
    if (!core) {
      metadata["name"] = group;
    }
    items.push_back({{"metadata", metadata}, {"versions", jversions}});
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", api_version},
          {"metadata", json::object()},
          {"items", items}};
}

std::string chooseDiscoveryType(const std::string& accept) {
  // The client lists its preferences in order; take the first aggregated one it names.
  size_t v2 = accept.find("g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  size_t v2beta1 = accept.find("g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  if (v2 == std::string::npos && v2beta1 == std::string::npos) {
    return "";
  }
  if (v2 != std::string::npos && (v2beta1 == std::string::npos || v2 < v2beta1)) {
    return kAggregatedV2;
  }
  return kAggregatedV2Beta1;
}

}  // namespace univirt::kubelite
