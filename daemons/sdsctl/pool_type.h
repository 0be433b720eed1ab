#pragma once

// The pool types of a VirtualMachinePool request (`type`), and what each is on this node.

#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace univirt::sdsctl {

enum class PoolType {
  Dir,      // `localfs` or `dir`: a local directory, a libvirt dir pool
  CephFs,   // `cephfs`: a directory on a CephFS mount the node already has
  Nfs,      // `nfs`: a directory on an NFS mount the node already has
  CephRbd,  // `cephrbd`: a Ceph RBD pool (not yet supported; see docs/sdsctl.md)
};

// Every spelling a request may use, in help-text order.
const std::vector<std::string>& poolTypeNames();

// An empty `type` means `localfs`, as upstream's examples omit it for local pools.
util::Result<PoolType> parsePoolType(std::string_view type);
std::string_view poolTypeName(PoolType type);

// True for the types whose storage is a mounted file system that must be present.
bool isMountedType(PoolType type);

}  // namespace univirt::sdsctl
