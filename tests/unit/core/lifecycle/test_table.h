#pragma once

// A small operation table in the shape of the real one (crd-contract.md §3), for the tests of
// validation, help, schema and docs. Handlers are never run by these tests.

#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle::testing {

// VirtualMachine: startVM (name field domain), createAndStartVMFromISO (name field name),
// stopVM; VirtualMachineDisk: createDisk (vol); VirtualMachinePool: createPool (pool).
OperationTable makeTestTable();

// Path roots of the test node.
ValidationContext testContext();

}  // namespace univirt::lifecycle::testing
