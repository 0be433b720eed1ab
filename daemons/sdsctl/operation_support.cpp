#include "sdsctl/operation_support.h"

#include <fmt/format.h>

#include "core/kube/client.h"
#include "core/util/log.h"
#include "sdsctl/capacity.h"
#include "sdsctl/pool_type.h"

namespace univirt::sdsctl::detail {
namespace {

const kube::ResourceRef kDisks{
    .group = "doslab.io", .version = "v1", .resource = "virtualmachinedisks", .namespaced = true};

}  // namespace

lifecycle::ParamSpec nameParam(std::string name, std::string what) {
  return {.name = std::move(name),
          .type = lifecycle::ParamType::String,
          .required = true,
          .help = fmt::format("the {}; always the object's name (injected)", what)};
}

lifecycle::ParamSpec typeParam() {
  return {.name = "type",
          .type = lifecycle::ParamType::String,
          .allowed = poolTypeNames(),
          .help =
              "pool type: localfs/dir (local directory), cephfs or nfs (a mounted directory), "
              "cephrbd (a Ceph RBD pool)"};
}

lifecycle::ParamSpec poolParam(std::string name, bool required, std::string help) {
  return {.name = std::move(name),
          .type = lifecycle::ParamType::String,
          .required = required,
          .help = std::move(help)};
}

lifecycle::ParamSpec capacityParam() {
  return {.name = "capacity",
          .type = lifecycle::ParamType::String,
          .required = true,
          .help = "size: bytes, or a number with K, M, G, T or P (powers of 1024), e.g. 10G",
          .validator = [](const lifecycle::ParamValue& value,
                          const lifecycle::ValidationContext&) -> util::Status {
            const auto* text = std::get_if<std::string>(&value);
            auto parsed = parseCapacity(text != nullptr ? *text : std::string());
            return parsed ? util::ok() : util::Status(parsed.error());
          }};
}

lifecycle::ParamSpec formatParam(bool required) {
  return {.name = "format",
          .type = lifecycle::ParamType::String,
          .required = required,
          .allowed = {"qcow2", "raw"},
          .help = "file format of the disk (default qcow2)"};
}

lifecycle::ParamSpec domainParam() {
  return {.name = "domain",
          .type = lifecycle::ParamType::String,
          .help =
              "the VirtualMachine using the disk (informational: sdsctl finds the domains "
              "that use a disk itself)"};
}

Storage storageFor(const StorageOperationDeps& deps) {
  return Storage(deps.connect, deps.settings);
}

util::Result<lifecycle::Outcome> specOutcome(const std::string& field, nlohmann::json value) {
  lifecycle::Outcome outcome;
  outcome.spec_fields = nlohmann::json::object();
  outcome.spec_fields[field] = std::move(value);
  return outcome;
}

util::Result<lifecycle::Outcome> deletedOutcome() {
  lifecycle::Outcome outcome;
  outcome.object_deleted = true;
  return outcome;
}

nlohmann::json currentVolume(const lifecycle::Invocation& invocation) {
  const auto& object = invocation.object;
  if (object.is_object() && object.contains("spec") && object["spec"].is_object() &&
      object["spec"].contains("volume") && object["spec"]["volume"].is_object()) {
    return object["spec"]["volume"];
  }
  return nlohmann::json::object();
}

void patchDiskVolume(const StorageOperationDeps& deps, const std::string& namespace_name,
                     const std::string& disk, const nlohmann::json& volume) {
  if (deps.client == nullptr) {
    return;
  }
  const nlohmann::json patch = {{"spec", {{"volume", volume}}}};
  auto patched = deps.client->patch(kDisks, {.namespace_name = namespace_name, .name = disk},
                                    kube::PatchType::Merge, patch);
  if (!patched) {
    log::warn("disk volume not updated",
              {{"disk", disk}, {"ns", namespace_name}, {"err", patched.error().message}});
  }
}

util::Status createDiskObject(const StorageOperationDeps& deps, const std::string& namespace_name,
                              const std::string& disk, const nlohmann::json& volume) {
  if (deps.client == nullptr) {
    return util::ok();
  }
  nlohmann::json object = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", kDiskKind},
      {"metadata",
       {{"name", disk},
        {"namespace", namespace_name},
        {"labels", {{"host", deps.node_name}}},
        {"finalizers", {kCleanupFinalizer}}}},
      {"spec",
       {{"nodeName", deps.node_name},
        {"volume", volume},
        {"status",
         {{"conditions",
           {{"state",
             {{"waiting", {{"reason", "Ready"}, {"message", "The resource is ready."}}}}}}}}}}}};
  auto created = deps.client->create(kDisks, object);
  if (!created) {
    return created.error().withContext(
        fmt::format("disk '{}' was made but its VirtualMachineDisk could not be created", disk));
  }
  return util::ok();
}

}  // namespace univirt::sdsctl::detail
