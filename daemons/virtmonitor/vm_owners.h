#pragma once

// VmOwners: which VirtualMachine owns each domain, read from an informer's cache of the
// VirtualMachines labelled host=<node> (a domain is named after its VirtualMachine). A refresh
// reads the cache once; no API call is made per refresh or per scrape.

#include <memory>
#include <string>

#include "core/kube/client.h"
#include "core/kube/informer/informer.h"
#include "virtmonitor/families.h"

namespace univirt::virtmonitor {

class VmOwners {
 public:
  // `client` must outlive this object. `namespace_name` empty: all namespaces.
  VmOwners(kube::Client& client, const std::string& node, const std::string& namespace_name);
  ~VmOwners();
  VmOwners(const VmOwners&) = delete;
  VmOwners& operator=(const VmOwners&) = delete;

  void start();
  void stop();
  bool hasSynced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;

  // Domain name → owner, as of now.
  Owners owners() const;

 private:
  std::unique_ptr<kube::Informer> informer_;
};

// The domain name → owner map of these VirtualMachine objects.
Owners ownersOf(const std::vector<kube::ObjectPtr>& objects);

}  // namespace univirt::virtmonitor
