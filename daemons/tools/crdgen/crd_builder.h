#pragma once

// One CustomResourceDefinition per contract kind: upstream's names, short names and printer
// columns (crd-contract.md §1), a spec that keeps every unknown field as upstream's did, the
// typed spec.lifecycle of the operation table, and univirt's additive .status. No status
// subresource: upstream clients write whole objects, status included.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "core/util/result.h"
#include "tools/crdgen/crd_kinds.h"

namespace univirt::crdgen {

nlohmann::ordered_json buildCrd(const KindInfo& kind, const lifecycle::OperationTable& table);

// The schema of univirt's .status (phase, conditions, nodeName, interfaces, lastOperation).
nlohmann::ordered_json statusSchema();

struct CrdFile {
  std::string file_name;  // "virtualmachine.yaml"
  std::string content;    // header comment + YAML
};

// One file per contract kind plus "crds.yaml" with every CRD, in contract order. Fails when
// the table holds operations of a kind the contract does not define.
util::Result<std::vector<CrdFile>> renderCrdFiles(const lifecycle::OperationTable& table);

}  // namespace univirt::crdgen
