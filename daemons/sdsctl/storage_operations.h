#pragma once

// The storage rows of the operation table (crd-contract §3.2–§3.5): VirtualMachinePool,
// VirtualMachineDisk, VirtualMachineDiskImage and VirtualMachineDiskSnapshot operations, with
// upstream's names, name fields and parameters. Each handler calls the sdsctl library
// (storage.h) and reports the object's new .spec.pool / .spec.volume as the outcome; delete
// operations remove the object. virtctl registers them next to the VirtualMachine rows; the
// univirt-sdsctl CLI runs the same rows without an API server.

#include <string>

#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "sdsctl/storage.h"

namespace univirt::kube {
class Client;
}

namespace univirt::sdsctl {

struct StorageOperationDeps {
  ConnectionProvider connect;
  StorageSettings settings;
  // For the side effects on other objects (an external snapshot updates its source
  // VirtualMachineDisk's .spec.volume; cloneDisk creates the new VirtualMachineDisk). Null:
  // those are skipped (the CLI, tests of the files alone).
  kube::Client* client = nullptr;
  std::string node_name = {};
};

inline constexpr const char* kPoolKind = "VirtualMachinePool";
inline constexpr const char* kDiskKind = "VirtualMachineDisk";
inline constexpr const char* kImageKind = "VirtualMachineDiskImage";
inline constexpr const char* kSnapshotKind = "VirtualMachineDiskSnapshot";

// Adds every storage row. `deps` must outlive the table.
void addStorageOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps);

// The finalizer that keeps a storage object until its storage is cleaned up.
inline constexpr const char* kCleanupFinalizer = "univirt.doslab.io/storage-cleanup";

// Sets kCleanupFinalizer on the storage kinds among `kinds` that clean up on deletion
// (WatchedKind::on_deleted), so `kubectl delete` removes the object only once its storage is
// gone.
void addCleanupFinalizers(std::vector<lifecycle::WatchedKind>& kinds);

// The upstream sdsctl sub-command of a row ("create-disk" for createDisk); empty if none.
std::string upstreamCommand(std::string_view operation);

}  // namespace univirt::sdsctl
