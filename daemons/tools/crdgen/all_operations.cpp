#include "tools/crdgen/all_operations.h"

#ifdef UNIVIRT_CRDGEN_WITH_VIRTCTL
#include "virtctl/vm/vm_operations.h"
#endif
#ifdef UNIVIRT_CRDGEN_WITH_SDSCTL
#include "sdsctl/storage_operations.h"
#endif
#ifdef UNIVIRT_CRDGEN_WITH_OVNCTL
#include "ovnctl/network_operations.h"
#endif

namespace univirt::crdgen {

void addAllOperations([[maybe_unused]] lifecycle::OperationTable& table) {
#ifdef UNIVIRT_CRDGEN_WITH_VIRTCTL
  // Handlers and refreshes are never run here; the deps only have to outlive the table.
  static const virtctl::VmOperationDeps kDeps{};
  virtctl::addVirtualMachineOperations(table, kDeps);
#endif
#ifdef UNIVIRT_CRDGEN_WITH_SDSCTL
  static const sdsctl::StorageOperationDeps kStorageDeps{};
  sdsctl::addStorageOperations(table, kStorageDeps);
#endif
#ifdef UNIVIRT_CRDGEN_WITH_OVNCTL
  static const ovnctl::NetworkOperationDeps kNetworkDeps{};
  ovnctl::addNetworkOperations(table, kNetworkDeps);
#endif
}

}  // namespace univirt::crdgen
