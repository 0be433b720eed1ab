#include "virtctl/vm/vm_operations.h"

#include "virtctl/vm/vm_rows.h"

namespace univirt::virtctl {
namespace vm {

lifecycle::ParamSpec domainParam() {
  return {.name = "domain",
          .type = lifecycle::ParamType::String,
          .required = true,
          .help = "the domain; always the VirtualMachine's name (injected)"};
}

}  // namespace vm

void addVirtualMachineOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  vm::addCreateOperations(table, deps);
  vm::addPowerOperations(table, deps);
  vm::addDeleteOperation(table, deps);
  vm::addStateOperations(table, deps);
  vm::addDeviceOperations(table, deps);
  vm::addDiskNicOperations(table, deps);
  vm::addTuningOperations(table, deps);
  vm::addQosOperations(table, deps);
  vm::addConfigOperations(table, deps);
}

}  // namespace univirt::virtctl
