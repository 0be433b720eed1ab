#pragma once

// How a request's progress and outcome are written into its object, in upstream's places
// (`.spec.status.conditions.state.waiting`, `.spec.powerstate`, `.spec.description`) and in
// univirt's additive `.status` (phase, conditions, lastOperation). Pure functions over JSON so
// every shape is unit-tested without a server.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation.h"
#include "core/lifecycle/request_marker.h"

namespace univirt::lifecycle {

// Upstream's failure reasons: errors raised by libvirt, and everything else.
inline constexpr std::string_view kReasonLibvirtError = "LibvirtError";
inline constexpr std::string_view kReasonException = "Exception";

// "LibvirtError" when the message came from libvirt (core/virt prefixes those), else
// "Exception".
std::string_view failureReason(std::string_view message);

struct Timing {
  std::string started_at;   // RFC 3339
  std::string finished_at;  // RFC 3339
  std::int64_t finished_epoch_ms = 0;
};

// The take: removes `.spec.lifecycle`, sets the marker annotation and a Running lastOperation.
void markTaken(nlohmann::json& object, const RequestMarker& marker);

// The outcome of a request that ran (or was settled as having taken effect).
// `operation_phase` is Unknown when a request interrupted by a crash could not be settled.
void recordSuccess(nlohmann::json& object, const RequestMarker& marker, const Refreshed& refreshed,
                   const Outcome& outcome, const Timing& timing,
                   Phase operation_phase = Phase::Succeeded);

// A failed or refused request. `marker.id` may be empty for a request refused before it was
// taken. The power state and phase are left as they were.
void recordFailure(nlohmann::json& object, const RequestMarker& marker, std::string_view reason,
                   std::string_view message, const Timing& timing);

// Removes the marker if it is the one with `id` (a newer marker is somebody else's).
void clearMarker(nlohmann::json& object, std::string_view id);

// Upstream's Event note: "type:<Kind>, name:<name>, operation:<key>, status:<Doing|Done>,
// reporter:Virtctl, eventId:<labels.eventId or -1>, duration:<seconds>".
std::string eventNote(const nlohmann::json& object, std::string_view operation,
                      std::string_view stage, double duration_seconds);

}  // namespace univirt::lifecycle
