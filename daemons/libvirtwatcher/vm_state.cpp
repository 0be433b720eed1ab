#include "libvirtwatcher/vm_state.h"

#include <array>
#include <utility>

#include "core/lifecycle/request_marker.h"

namespace univirt::libvirtwatcher {
namespace {

constexpr std::string_view kMigrate = "migrateVM";
// Requests after which a stopped domain is what the user asked for.
constexpr std::array<std::string_view, 5> kStoppingOperations = {"stopVM", "stopVMForce",
                                                                 "deleteVM", "saveVM", kMigrate};

bool isStopping(std::string_view operation) {
  for (std::string_view stopping : kStoppingOperations) {
    if (operation == stopping) {
      return true;
    }
  }
  return false;
}

const nlohmann::json* child(const nlohmann::json& parent, const char* key) {
  if (!parent.is_object()) {
    return nullptr;
  }
  auto it = parent.find(key);
  return it == parent.end() ? nullptr : &*it;
}

// The operation of the pending spec.lifecycle (its one key), or empty.
std::string pendingOperation(const kube::Object& vm) {
  const nlohmann::json* spec = child(vm, "spec");
  const nlohmann::json* lifecycle = spec != nullptr ? child(*spec, "lifecycle") : nullptr;
  if (lifecycle == nullptr || !lifecycle->is_object() || lifecycle->empty()) {
    return {};
  }
  return lifecycle->begin().key();
}

// The operation virtctl has taken and not finished (the marker annotation), or empty.
std::string runningOperation(const kube::Object& vm) {
  auto marker = lifecycle::markerOf(vm);
  if (!marker.has_value() || !marker->has_value()) {
    return {};
  }
  return (*marker)->operation;
}

std::string lastOperation(const kube::Object& vm) {
  const nlohmann::json* status = child(vm, "status");
  const nlohmann::json* last = status != nullptr ? child(*status, "lastOperation") : nullptr;
  if (last == nullptr || !last->is_object()) {
    return {};
  }
  return last->value("name", "");
}

nlohmann::json& ensureObject(nlohmann::json& parent, const char* key) {
  nlohmann::json& value = parent[key];
  if (!value.is_object()) {
    value = nlohmann::json::object();
  }
  return value;
}

nlohmann::json waiting(std::string_view reason, std::string_view message) {
  return {{"conditions", {{"state", {{"waiting", {{"reason", reason}, {"message", message}}}}}}}};
}

// As core/lifecycle/object_status.cpp: lastTransitionTime moves only when the status does.
void setCondition(nlohmann::json& status, std::string_view type, bool value,
                  std::string_view reason, std::string_view message, const std::string& now) {
  nlohmann::json& conditions = status["conditions"];
  if (!conditions.is_array()) {
    conditions = nlohmann::json::array();
  }
  const std::string status_text = value ? "True" : "False";
  for (auto& condition : conditions) {
    if (condition.value("type", "") != type) {
      continue;
    }
    if (condition.value("status", "") != status_text) {
      condition["lastTransitionTime"] = now;
    }
    condition["status"] = status_text;
    condition["reason"] = reason;
    condition["message"] = message;
    return;
  }
  conditions.push_back({{"type", type},
                        {"status", status_text},
                        {"reason", reason},
                        {"message", message},
                        {"lastTransitionTime", now}});
}

// Compares the object before and after a mutation; stamps the description only on a change,
// so an unchanged domain never causes a write.
kube::Mutation finish(kube::Object& vm, const kube::Object& before, const WriteTime& time) {
  if (vm == before) {
    return kube::Mutation::Unchanged;
  }
  vm["spec"]["description"] = {{"lastOperationTimeStamp", time.epoch_ms}};
  return kube::Mutation::Changed;
}

}  // namespace

std::string_view skipName(Skip skip) {
  switch (skip) {
    case Skip::No:
      return "none";
    case Skip::OtherHost:
      return "other-host";
    case Skip::Migrating:
      return "migrating";
  }
  return "none";
}

Skip skipFor(const kube::Object& vm, std::string_view node, bool migration_event) {
  if (kube::labelOf(vm, "host") != node) {
    return Skip::OtherHost;
  }
  if (migration_event || pendingOperation(vm) == kMigrate || runningOperation(vm) == kMigrate) {
    return Skip::Migrating;
  }
  return Skip::No;
}

bool stopRequested(const kube::Object& vm) {
  return isStopping(pendingOperation(vm)) || isStopping(runningOperation(vm)) ||
         isStopping(lastOperation(vm));
}

bool hasHaLabel(const kube::Object& vm) {
  const nlohmann::json* metadata = child(vm, "metadata");
  const nlohmann::json* labels = metadata != nullptr ? child(*metadata, "labels") : nullptr;
  return labels != nullptr && labels->is_object() && labels->contains(std::string(kHaLabel));
}

kube::Mutation applyRefreshed(kube::Object& vm, const lifecycle::Refreshed& refreshed,
                              const WriteTime& time) {
  const kube::Object before = vm;
  nlohmann::json& spec = ensureObject(vm, "spec");
  if (refreshed.spec_fields.is_object()) {
    for (const auto& [key, value] : refreshed.spec_fields.items()) {
      spec[key] = value;
    }
  }
  spec["status"] = waiting(refreshed.reason, refreshed.message);
  nlohmann::json& status = ensureObject(vm, "status");
  status["phase"] = lifecycle::phaseName(refreshed.phase);
  if (refreshed.status_fields.is_object()) {
    for (const auto& [key, value] : refreshed.status_fields.items()) {
      status[key] = value;
    }
  }
  const bool ready = refreshed.reason == "Running";
  const bool paused = refreshed.phase == lifecycle::Phase::Paused;
  setCondition(status, "Ready", ready, refreshed.reason, refreshed.message, time.rfc3339);
  setCondition(status, "Paused", paused, paused ? "Paused" : "NotPaused", refreshed.message,
               time.rfc3339);
  return finish(vm, before, time);
}

kube::Mutation applyFailure(kube::Object& vm, std::string_view message, const WriteTime& time) {
  const kube::Object before = vm;
  ensureObject(vm, "spec")["status"] = waiting(kReasonWatcherError, message);
  return finish(vm, before, time);
}

}  // namespace univirt::libvirtwatcher
