#include "core/lifecycle/finalizer.h"

namespace univirt::lifecycle {
namespace {

const nlohmann::json* finalizersOf(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return nullptr;
  }
  const auto& metadata = object["metadata"];
  if (!metadata.contains("finalizers") || !metadata["finalizers"].is_array()) {
    return nullptr;
  }
  return &metadata["finalizers"];
}

}  // namespace

bool hasFinalizer(const nlohmann::json& object, std::string_view finalizer) {
  const nlohmann::json* list = finalizersOf(object);
  if (list == nullptr || finalizer.empty()) {
    return false;
  }
  for (const auto& item : *list) {
    if (item.is_string() && item.get_ref<const std::string&>() == finalizer) {
      return true;
    }
  }
  return false;
}

bool addFinalizer(nlohmann::json& object, std::string_view finalizer) {
  if (finalizer.empty() || hasFinalizer(object, finalizer)) {
    return false;
  }
  auto& metadata = object["metadata"];
  if (!metadata.contains("finalizers") || !metadata["finalizers"].is_array()) {
    metadata["finalizers"] = nlohmann::json::array();
  }
  metadata["finalizers"].push_back(std::string(finalizer));
  return true;
}

bool removeFinalizer(nlohmann::json& object, std::string_view finalizer) {
  if (!hasFinalizer(object, finalizer)) {
    return false;
  }
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& item : object["metadata"]["finalizers"]) {
    if (!(item.is_string() && item.get_ref<const std::string&>() == finalizer)) {
      kept.push_back(item);
    }
  }
  object["metadata"]["finalizers"] = std::move(kept);
  return true;
}

bool isDeleting(const nlohmann::json& object) {
  return object.is_object() && object.contains("metadata") && object["metadata"].is_object() &&
         object["metadata"].contains("deletionTimestamp") &&
         !object["metadata"]["deletionTimestamp"].is_null();
}

}  // namespace univirt::lifecycle
