#include "virtmonitor/vm_owners.h"

#include <utility>

namespace univirt::virtmonitor {

VmOwners::VmOwners(kube::Client& client, const std::string& node, const std::string& namespace_name)
    : informer_(std::make_unique<kube::Informer>(
          kube::ListWatch{.client = &client,
                          .resource = kube::ResourceRef{.group = "doslab.io",
                                                        .version = "v1",
                                                        .resource = "virtualmachines",
                                                        .namespaced = true},
                          .namespace_name = namespace_name,
                          .label_selector = "host=" + node,
                          .field_selector = {}})) {}

VmOwners::~VmOwners() { stop(); }

void VmOwners::start() { informer_->start(); }

void VmOwners::stop() { informer_->stop(); }

bool VmOwners::hasSynced() const { return informer_->hasSynced(); }

bool VmOwners::waitForSync(std::chrono::milliseconds timeout) const {
  return informer_->waitForSync(timeout);
}

Owners VmOwners::owners() const { return ownersOf(informer_->cache().list()); }

Owners ownersOf(const std::vector<kube::ObjectPtr>& objects) {
  Owners owners;
  for (const kube::ObjectPtr& object : objects) {
    std::string name = kube::nameOf(*object);
    owners.insert_or_assign(name, VmOwner{.namespace_name = kube::namespaceOf(*object),
                                          .name = name,
                                          .labels = kube::labelsOf(*object)});
  }
  return owners;
}

}  // namespace univirt::virtmonitor
