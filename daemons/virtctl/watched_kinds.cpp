#include "virtctl/watched_kinds.h"

#include <string>

namespace univirt::virtctl {
namespace {

std::string volumeField(const kube::Object& object, const char* field) {
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->contains("volume") || !(*spec)["volume"].is_object()) {
    return {};
  }
  const auto& volume = (*spec)["volume"];
  return volume.contains(field) && volume[field].is_string() ? volume[field].get<std::string>()
                                                             : std::string();
}

using Synthesise = std::function<std::optional<nlohmann::json>(const kube::Object&)>;

Synthesise deleteRequest(const lifecycle::OperationTable& table, const char* kind,
                         const char* operation, Synthesise build) {
  if (table.find(kind, operation) == nullptr) {
    return {};
  }
  return build;
}

}  // namespace

kube::ResourceRef doslabResource(std::string_view plural) {
  return kube::ResourceRef{
      .group = "doslab.io", .version = "v1", .resource = std::string(plural), .namespaced = true};
}

std::vector<lifecycle::WatchedKind> watchedKinds(const lifecycle::OperationTable& table) {
  std::vector<lifecycle::WatchedKind> kinds;
  kinds.push_back(
      {.kind = "VirtualMachine", .resource = doslabResource("virtualmachines"), .on_deleted = {}});
  kinds.push_back(
      {.kind = "VirtualMachineDisk",
       .resource = doslabResource("virtualmachinedisks"),
       .on_deleted = deleteRequest(
           table, "VirtualMachineDisk", "deleteDisk",
           [](const kube::Object& object) -> std::optional<nlohmann::json> {
             return nlohmann::json{{"deleteDisk", {{"pool", volumeField(object, "pool")}}}};
           })});
  kinds.push_back({.kind = "VirtualMachineDiskImage",
                   .resource = doslabResource("virtualmachinediskimages"),
                   .on_deleted = deleteRequest(
                       table, "VirtualMachineDiskImage", "deleteDiskImage",
                       [](const kube::Object& object) -> std::optional<nlohmann::json> {
                         // Upstream synthesises `pool` here although deleteDiskImage takes
                         // `sourcePool`; we send the parameter the operation actually reads.
                         return nlohmann::json{
                             {"deleteDiskImage", {{"sourcePool", volumeField(object, "pool")}}}};
                       })});
  kinds.push_back({.kind = "VirtualMachineDiskSnapshot",
                   .resource = doslabResource("virtualmachinedisksnapshots"),
                   .on_deleted = deleteRequest(
                       table, "VirtualMachineDiskSnapshot", "deleteDiskExternalSnapshot",
                       [](const kube::Object& object) -> std::optional<nlohmann::json> {
                         return nlohmann::json{{"deleteDiskExternalSnapshot",
                                                {{"pool", volumeField(object, "pool")},
                                                 {"source", volumeField(object, "disk")},
                                                 {"domain", volumeField(object, "domain")}}}};
                       })});
  kinds.push_back({.kind = "VirtualMachineNetwork",
                   .resource = doslabResource("virtualmachinenetworks"),
                   .on_deleted = {}});
  kinds.push_back({.kind = "VirtualMachinePool",
                   .resource = doslabResource("virtualmachinepools"),
                   .on_deleted = deleteRequest(
                       table, "VirtualMachinePool", "deletePool",
                       [](const kube::Object&) -> std::optional<nlohmann::json> {
                         return nlohmann::json{{"deletePool", nlohmann::json::object()}};
                       })});
  return kinds;
}

}  // namespace univirt::virtctl
