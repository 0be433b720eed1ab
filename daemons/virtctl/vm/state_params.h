#pragma once

// The pure parts of saveVM/restoreVM/migrateVM: what a saved image says about its domain, and
// the migration URIs and flags built from a request.

#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle/param_spec.h"
#include "core/util/result.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::vm {

struct SavedDomainIdentity {
  std::string name;
  std::string owner_namespace;  // empty: no univirt owner recorded
};
util::Result<SavedDomainIdentity> savedDomainIdentity(std::string_view domain_xml);

struct MigrationPlan {
  std::string connect_uri;  // destination libvirtd, e.g. qemu+ssh://10.0.0.2/system
  std::string data_uri;     // migration stream, e.g. tcp://10.0.0.2; empty when offline
  unsigned int flags = 0;   // VIR_MIGRATE_*
};

// As upstream: live (or offline) peer-to-peer, persistent at the destination, undefined here;
// every disk must use cache='none' (what makes live migration safe for shared storage).
util::Result<MigrationPlan> planMigration(const lifecycle::Params& params,
                                          const std::vector<DomainDisk>& disks, bool domain_active,
                                          const VmNodeSettings& settings);

// Accepts an IPv4 or IPv6 address literal.
lifecycle::ParamValidator ipAddressValidator();

}  // namespace univirt::virtctl::vm
