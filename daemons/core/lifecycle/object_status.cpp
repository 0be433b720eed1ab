#include "core/lifecycle/object_status.h"

#include <fmt/format.h>

namespace univirt::lifecycle {
namespace {

nlohmann::json& ensureObject(nlohmann::json& parent, const char* key) {
  nlohmann::json& child = parent[key];
  if (!child.is_object()) {
    child = nlohmann::json::object();
  }
  return child;
}

void setWaiting(nlohmann::json& spec, std::string_view reason, std::string_view message) {
  spec["status"] = {
      {"conditions", {{"state", {{"waiting", {{"reason", reason}, {"message", message}}}}}}}};
}

// Sets one standard condition, keeping lastTransitionTime when the status did not change.
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

void setLastOperation(nlohmann::json& status, const RequestMarker& marker, Phase phase,
                      std::string_view message, const Timing& timing) {
  nlohmann::json last = {
      {"name", marker.operation}, {"phase", phaseName(phase)}, {"message", message}};
  if (!marker.id.empty()) {
    last["id"] = marker.id;
  }
  if (!timing.started_at.empty()) {
    last["startedAt"] = timing.started_at;
  }
  if (!timing.finished_at.empty()) {
    last["finishedAt"] = timing.finished_at;
  }
  status["lastOperation"] = std::move(last);
}

}  // namespace

std::string_view failureReason(std::string_view message) {
  return message.find("libvirt error from '") != std::string_view::npos ? kReasonLibvirtError
                                                                        : kReasonException;
}

void markTaken(nlohmann::json& object, const RequestMarker& marker) {
  nlohmann::json& spec = ensureObject(object, "spec");
  spec.erase("lifecycle");
  nlohmann::json& metadata = ensureObject(object, "metadata");
  ensureObject(metadata, "annotations")[std::string(kOperationAnnotation)] = encodeMarker(marker);
  nlohmann::json& status = ensureObject(object, "status");
  setLastOperation(
      status, marker, Phase::Running, "running",
      Timing{.started_at = marker.taken_at, .finished_at = {}, .finished_epoch_ms = 0});
}

void clearMarker(nlohmann::json& object, std::string_view id) {
  const auto marker = markerOf(object);
  if (!marker.has_value() || (marker->has_value() && (*marker)->id != id)) {
    return;
  }
  // markerOf() found metadata.annotations, so both are objects here.
  nlohmann::json& metadata = object["metadata"];
  nlohmann::json& annotations = metadata["annotations"];
  annotations.erase(std::string(kOperationAnnotation));
  if (annotations.empty()) {
    metadata.erase(std::string("annotations"));
  }
}

void recordSuccess(nlohmann::json& object, const RequestMarker& marker, const Refreshed& refreshed,
                   const Outcome& outcome, const Timing& timing, Phase operation_phase) {
  clearMarker(object, marker.id);
  nlohmann::json& spec = ensureObject(object, "spec");
  if (refreshed.spec_fields.is_object()) {
    for (const auto& [key, value] : refreshed.spec_fields.items()) {
      spec[key] = value;
    }
  }
  if (outcome.spec_fields.is_object()) {
    for (const auto& [key, value] : outcome.spec_fields.items()) {
      spec[key] = value;
    }
  }
  setWaiting(spec, refreshed.reason, refreshed.message);
  spec["description"] = {{"lastOperationTimeStamp", timing.finished_epoch_ms}};

  nlohmann::json& status = ensureObject(object, "status");
  status["phase"] = phaseName(refreshed.phase);
  if (refreshed.status_fields.is_object()) {
    for (const auto& [key, value] : refreshed.status_fields.items()) {
      status[key] = value;
    }
  }
  const bool ready = refreshed.reason == "Running" || refreshed.reason == "Ready";
  setCondition(status, "Ready", ready, refreshed.reason, refreshed.message, timing.finished_at);
  setCondition(status, "Paused", refreshed.phase == Phase::Paused,
               refreshed.phase == Phase::Paused ? "Paused" : "NotPaused", refreshed.message,
               timing.finished_at);
  setCondition(status, "Synchronized", true, "OperationSucceeded",
               fmt::format("{} succeeded", marker.operation), timing.finished_at);
  const std::string message = outcome.message.empty() ? refreshed.message : outcome.message;
  setLastOperation(status, marker, operation_phase, message, timing);
}

void recordFailure(nlohmann::json& object, const RequestMarker& marker, std::string_view reason,
                   std::string_view message, const Timing& timing) {
  clearMarker(object, marker.id);
  nlohmann::json& spec = ensureObject(object, "spec");
  setWaiting(spec, reason, message);
  spec["description"] = {{"lastOperationTimeStamp", timing.finished_epoch_ms}};
  nlohmann::json& status = ensureObject(object, "status");
  setCondition(status, "Synchronized", false, reason, message, timing.finished_at);
  setLastOperation(status, marker, Phase::Failed, message, timing);
}

std::string eventNote(const nlohmann::json& object, std::string_view operation,
                      std::string_view stage, double duration_seconds) {
  std::string event_id = "-1";
  const auto labels = object.find("metadata");
  if (labels != object.end() && labels->contains("labels") &&
      (*labels)["labels"].contains("eventId") && (*labels)["labels"]["eventId"].is_string()) {
    event_id = (*labels)["labels"]["eventId"].get<std::string>();
  }
  const std::string name =
      object.contains("metadata") ? object["metadata"].value("name", "") : std::string();
  return fmt::format(
      "type:{}, name:{}, operation:{}, status:{}, reporter:Virtctl, eventId:{}, duration:{}",
      object.value("kind", ""), name, operation, stage, event_id, duration_seconds);
}

}  // namespace univirt::lifecycle
