#include "sdsctl/storage_operations.h"

#include <map>

#include "sdsctl/operation_support.h"

namespace univirt::sdsctl {

void addStorageOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  detail::addPoolOperations(table, deps);
  detail::addDiskOperations(table, deps);
  detail::addImageOperations(table, deps);
  detail::addSnapshotOperations(table, deps);
}

void addCleanupFinalizers(std::vector<lifecycle::WatchedKind>& kinds) {
  for (auto& kind : kinds) {
    const bool storage = kind.kind == kPoolKind || kind.kind == kDiskKind ||
                         kind.kind == kImageKind || kind.kind == kSnapshotKind;
    if (storage && kind.on_deleted) {
      kind.finalizer = kCleanupFinalizer;
    }
  }
}

std::string upstreamCommand(std::string_view operation) {
  static const std::map<std::string, std::string, std::less<>> kCommands = {
      {"createPool", "create-pool"},
      {"deletePool", "delete-pool"},
      {"startPool", "start-pool"},
      {"stopPool", "stop-pool"},
      {"autoStartPool", "auto-start-pool"},
      {"createDisk", "create-disk"},
      {"resizeDisk", "resize-disk"},
      {"cloneDisk", "clone-disk"},
      {"deleteDisk", "delete-disk"},
      {"createDiskFromDiskImage", "create-disk-from-image"},
      {"createDiskInternalSnapshot", "create-internal-snapshot"},
      {"deleteDiskInternalSnapshot", "delete-internal-snapshot"},
      {"revertDiskInternalSnapshot", "revert-internal-snapshot"},
      {"createDiskImage", "create-disk-image"},
      {"createDiskImageFromDisk", "create-image-from-disk"},
      {"deleteDiskImage", "delete-disk-image"},
      {"uploadDiskImage", "upload-disk-image"},
      {"downloadDiskImage", "download-disk-image"},
      {"createDiskExternalSnapshot", "create-external-snapshot"},
      {"revertDiskExternalSnapshot", "revert-external-snapshot"},
      {"deleteDiskExternalSnapshot", "delete-external-snapshot"},
  };
  const auto it = kCommands.find(operation);
  return it == kCommands.end() ? std::string() : it->second;
}

}  // namespace univirt::sdsctl
