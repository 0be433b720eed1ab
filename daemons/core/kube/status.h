#pragma once

// Typed errors from the API server's metav1.Status (kube-api-semantics.md §2.10).
//
// Every non-2xx response carries a Status body; its `reason` decides the util::ErrorCode, so
// callers branch on the code (NotFound during delete is success, Conflict means re-read and
// retry, Gone means relist) and never parse messages:
//   NotFound → NotFound            AlreadyExists → AlreadyExists   Conflict → Conflict
//   Expired, Gone (410) → Gone     Invalid, BadRequest, MethodNotAllowed, NotAcceptable,
//   UnsupportedMediaType, RequestEntityTooLarge → InvalidArgument
//   Unauthorized, Forbidden → PermissionDenied
//   Timeout, ServerTimeout (504) → Timeout
//   TooManyRequests, ServiceUnavailable, InternalError and other 5xx → Unavailable
// When a body is not a Status (a proxy's HTML page) the HTTP code alone decides.
// The error message is the server's message followed by "(reason 'X', HTTP N)", so logs keep
// both; ApiError holds them as fields for callers that need more (causes, retry-after).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace univirt::kube {

struct ApiError {
  int http_code = 0;
  std::string reason;   // metav1.StatusReason, e.g. "Conflict"; empty when the body had none
  std::string message;  // the server's own sentence
  nlohmann::json details = nlohmann::json::object();  // name, group, kind, causes, ...
  std::optional<int> retry_after_seconds;

  // Reads a Status body; fields the body lacks are derived from the HTTP code.
  static ApiError fromResponse(int http_code, std::string_view body);
  // Reads the object of a watch ERROR event (a Status whose code is inside the body).
  static ApiError fromStatusObject(const nlohmann::json& status);

  util::ErrorCode code() const;
  // `context` names the request ("get virtualmachines.doslab.io 'default/vm1'").
  util::Error toError(std::string_view context) const;
};

// The ErrorCode for a Status reason, or for the HTTP code when the reason is unknown.
util::ErrorCode errorCodeFor(std::string_view reason, int http_code);

}  // namespace univirt::kube
