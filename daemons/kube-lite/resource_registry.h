#pragma once

// ResourceRegistry: the set of resources kube-lite serves right now — the built-ins plus every
// established CRD. Readers take an immutable snapshot (cheap shared_ptr copy), so a CRD created
// or deleted mid-request never changes what that request sees; writers replace the snapshot.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube-lite/resource_type.h"

namespace univirt::kubelite {

// The co-owners of a snapshot are the registry and every request that is using it.
using RegistrySnapshot = std::shared_ptr<const std::vector<ResourceType>>;

class ResourceRegistry {
 public:
  ResourceRegistry();

  RegistrySnapshot snapshot() const;

  // Replaces the custom-resource part with the types derived from `crds` (stored CRD objects).
  void setCustomResourceDefinitions(const std::vector<nlohmann::json>& crds);

  static const ResourceType* find(const RegistrySnapshot& snap, const std::string& group,
                                  const std::string& version, const std::string& plural);
  // Any version of the group/plural (used for storage-wide operations such as CRD cleanup).
  static std::vector<std::string> groupVersions(const RegistrySnapshot& snap);

 private:
  std::vector<ResourceType> builtins_;
  mutable std::mutex mu_;
  RegistrySnapshot current_;  // guarded by mu_
};

// The built-in resources (builtin_types.cpp).
std::vector<ResourceType> builtinTypes();

// Default Table column for resources without printer columns.
PrinterColumn ageColumn();

}  // namespace univirt::kubelite
