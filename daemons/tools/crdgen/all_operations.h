#pragma once

// The registration seam of univirt-crdgen: fills a table with every operation univirt
// declares, so the CRDs and docs are generated from the same rows virtctl validates with.
// Each kind's rows come from the library that implements them; a library that is not part
// of the build yet contributes nothing (its kind's CRD then has an untyped spec.lifecycle).

#include "core/lifecycle/operation_table.h"

namespace univirt::crdgen {

void addAllOperations(lifecycle::OperationTable& table);

}  // namespace univirt::crdgen
