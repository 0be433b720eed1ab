#pragma once

// The kinds virtctl watches (crd-contract.md §2.2) and the requests upstream synthesises when
// one of them is deleted, so that `kubectl delete` also cleans up the backend.

#include <vector>

#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"

namespace univirt::virtctl {

// Every lifecycle kind of the contract. A deletion request is only synthesised for a kind
// whose delete operation is in `table`.
std::vector<lifecycle::WatchedKind> watchedKinds(const lifecycle::OperationTable& table);

kube::ResourceRef doslabResource(std::string_view plural);

}  // namespace univirt::virtctl
