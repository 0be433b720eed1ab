#pragma once

// The groups of VirtualMachine rows; addVirtualMachineOperations (vm_operations.cpp) calls
// each. One file per group, each handler beside its row.

#include "core/lifecycle/operation_table.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::vm {

inline constexpr const char* kKind = "VirtualMachine";

// The injected name parameter of most rows (nameField `domain`).
lifecycle::ParamSpec domainParam();

void addCreateOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addPowerOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addDeleteOperation(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addStateOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addDeviceOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addDiskNicOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addTuningOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addQosOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);
void addConfigOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);

}  // namespace univirt::virtctl::vm
