#pragma once

// The cleanup finalizer of a watched kind (WatchedKind::finalizer): pure helpers over an
// object's metadata.finalizers and metadata.deletionTimestamp, so that `kubectl delete` of a
// storage object keeps the object until its backing storage is gone.

#include <string_view>

#include <nlohmann/json.hpp>

namespace univirt::lifecycle {

bool hasFinalizer(const nlohmann::json& object, std::string_view finalizer);
// Adds `finalizer` once; false when it was there already.
bool addFinalizer(nlohmann::json& object, std::string_view finalizer);
// Removes every copy of `finalizer`; false when it was absent.
bool removeFinalizer(nlohmann::json& object, std::string_view finalizer);
// metadata.deletionTimestamp is set: the API server waits for the finalizers to go.
bool isDeleting(const nlohmann::json& object);

}  // namespace univirt::lifecycle
