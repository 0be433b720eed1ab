#pragma once

// The API resources virtlet reads and writes.

#include "core/kube/client.h"

namespace univirt::virtlet {

inline const kube::ResourceRef kNodes{"", "v1", "nodes", false};
inline const kube::ResourceRef kLeases{"coordination.k8s.io", "v1", "leases", true};
inline const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
inline const kube::ResourceRef kDiskImages{"doslab.io", "v1", "virtualmachinediskimages", true};
inline const kube::ResourceRef kGpus{"doslab.io", "v1", "virtualmachinegpus", true};

// Every object virtlet handles carries metadata.labels.host = <node> (crd-contract.md §1).
inline constexpr const char* kHostLabel = "host";

}  // namespace univirt::virtlet
