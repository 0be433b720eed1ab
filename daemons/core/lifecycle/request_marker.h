#pragma once

// The `univirt.doslab.io/operation` annotation: marks a request virtctl has taken. It is set in
// the same conditional update that removes `spec.lifecycle`, and removed in the update that
// records the outcome. A marker still present when virtctl starts belongs to a request a
// crashed virtctl took but never finished: it is settled from the backend's state, not re-run.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::lifecycle {

inline constexpr std::string_view kOperationAnnotation = "univirt.doslab.io/operation";

struct RequestMarker {
  std::string operation;   // the key as the user wrote it: "startVM"
  std::string id;          // unique per request
  std::string taken_at;    // RFC 3339, UTC
  std::string node;        // the node whose virtctl took it
  nlohmann::json request;  // the parameters as the user wrote them (for settling)
};

std::string encodeMarker(const RequestMarker& marker);
util::Result<RequestMarker> decodeMarker(std::string_view text);

// The marker on `object`, if any. A malformed marker is reported as an error so the caller
// can clear it with a message rather than ignore it forever.
std::optional<util::Result<RequestMarker>> markerOf(const nlohmann::json& object);

// A random RFC 4122 version 4 UUID (upstream names Events with one; we also use it as the id).
std::string newRequestId();

}  // namespace univirt::lifecycle
