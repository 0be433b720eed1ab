#include "virtctl/vm/disk_links.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/util/log.h"

namespace univirt::virtctl::vm {

std::string diskObjectName(const std::string& disk_path) {
  return std::filesystem::path(disk_path).filename().string();
}

void recordDiskUser(kube::Client* client, const std::string& namespace_name,
                    const std::string& disk_path, const std::string& vm_name) {
  if (client == nullptr) {
    return;
  }
  const std::string disk = diskObjectName(disk_path);
  if (disk.empty()) {
    return;
  }
  const kube::ResourceRef ref{
      .group = "doslab.io", .version = "v1", .resource = "virtualmachinedisks", .namespaced = true};
  const nlohmann::json patch = {{"spec", {{"volume", {{"vm", vm_name}}}}}};
  auto patched = client->patch(ref, {.namespace_name = namespace_name, .name = disk},
                               kube::PatchType::Merge, patch);
  if (patched) {
    return;
  }
  if (patched.error().code == util::ErrorCode::NotFound) {
    log::debug("disk is no VirtualMachineDisk", {{"disk", disk}, {"ns", namespace_name}});
    return;
  }
  log::warn("disk user not recorded", {{"disk", disk},
                                       {"ns", namespace_name},
                                       {"name", vm_name},
                                       {"err", patched.error().message}});
}

}  // namespace univirt::virtctl::vm
