#pragma once

// Pieces the storage rows share: common ParamSpecs, the outcome shapes and the writes to
// other objects.

#include <string>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl::detail {

lifecycle::ParamSpec nameParam(std::string name, std::string what);
lifecycle::ParamSpec typeParam();
lifecycle::ParamSpec poolParam(std::string name, bool required, std::string help);
lifecycle::ParamSpec capacityParam();
lifecycle::ParamSpec formatParam(bool required);
lifecycle::ParamSpec domainParam();

// Storage built from the deps for one request.
Storage storageFor(const StorageOperationDeps& deps);

// util::Error → the handler's failure (as is) or an Outcome with .spec.<field> = value.
util::Result<lifecycle::Outcome> specOutcome(const std::string& field, nlohmann::json value);
util::Result<lifecycle::Outcome> deletedOutcome();

// .spec.volume of the invocation's object, or {}.
nlohmann::json currentVolume(const lifecycle::Invocation& invocation);

// Merge-patches .spec.volume of the VirtualMachineDisk `disk` in `namespace_name`. Best effort:
// a missing object is logged, not an error (the disk may be managed without one).
void patchDiskVolume(const StorageOperationDeps& deps, const std::string& namespace_name,
                     const std::string& disk, const nlohmann::json& volume);

// Creates a VirtualMachineDisk for a disk this node made (cloneDisk's new disk).
util::Status createDiskObject(const StorageOperationDeps& deps, const std::string& namespace_name,
                              const std::string& disk, const nlohmann::json& volume);

void addPoolOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps);
void addDiskOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps);
void addImageOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps);
void addSnapshotOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps);

}  // namespace univirt::sdsctl::detail
