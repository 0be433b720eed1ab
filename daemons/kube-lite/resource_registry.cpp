#include "kube-lite/resource_registry.h"

#include <set>

#include "kube-lite/crd.h"

namespace univirt::kubelite {

ResourceRegistry::ResourceRegistry()
    : builtins_(builtinTypes()),
      current_(std::make_shared<const std::vector<ResourceType>>(builtins_)) {}

RegistrySnapshot ResourceRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  return current_;
}

void ResourceRegistry::setCustomResourceDefinitions(const std::vector<nlohmann::json>& crds) {
  auto types = builtins_;
  for (const auto& crd : crds) {
    if (!crdIsEstablished(crd)) {
      continue;
    }
    for (auto& type : typesFromCrd(crd)) {
      types.push_back(std::move(type));
    }
  }
  auto next = std::make_shared<const std::vector<ResourceType>>(std::move(types));
  std::lock_guard lock(mu_);
  current_ = std::move(next);
}

const ResourceType* ResourceRegistry::find(const RegistrySnapshot& snap, const std::string& group,
                                           const std::string& version, const std::string& plural) {
  for (const auto& type : *snap) {
    if (type.group == group && type.version == version && type.plural == plural) {
      return &type;
    }
  }
  return nullptr;
}

std::vector<std::string> ResourceRegistry::groupVersions(const RegistrySnapshot& snap) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& type : *snap) {
    if (seen.insert(type.apiVersion()).second) {
      out.push_back(type.apiVersion());
    }
  }
  return out;
}

PrinterColumn ageColumn() {
  PrinterColumn col;
  col.name = "Age";
  col.type = "date";
  col.description =
      "CreationTimestamp is a timestamp representing the server time when this object was "
      "created.";
  col.json_path = ".metadata.creationTimestamp";
  col.path = *JsonPath::parse(col.json_path);
  return col;
}

}  // namespace univirt::kubelite
