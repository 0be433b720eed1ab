#include "core/kube/status.h"

#include <fmt/format.h>

namespace univirt::kube {

using util::ErrorCode;

util::ErrorCode errorCodeFor(std::string_view reason, int http_code) {
  if (reason == "NotFound") {
    return ErrorCode::NotFound;
  }
  if (reason == "AlreadyExists") {
    return ErrorCode::AlreadyExists;
  }
  if (reason == "Conflict") {
    return ErrorCode::Conflict;
  }
  if (reason == "Expired" || reason == "Gone") {
    return ErrorCode::Gone;
  }
  if (reason == "Invalid" || reason == "BadRequest" || reason == "MethodNotAllowed" ||
      reason == "NotAcceptable" || reason == "UnsupportedMediaType" ||
      reason == "RequestEntityTooLarge") {
    return ErrorCode::InvalidArgument;
  }
  if (reason == "Unauthorized" || reason == "Forbidden") {
    return ErrorCode::PermissionDenied;
  }
  if (reason == "Timeout" || reason == "ServerTimeout") {
    return ErrorCode::Timeout;
  }
  if (reason == "TooManyRequests" || reason == "ServiceUnavailable" || reason == "InternalError") {
    return ErrorCode::Unavailable;
  }
  switch (http_code) {
    case 400:
    case 405:
    case 406:
    case 413:
    case 415:
    case 422:
      return ErrorCode::InvalidArgument;
    case 401:
    case 403:
      return ErrorCode::PermissionDenied;
    case 404:
      return ErrorCode::NotFound;
    case 409:
      return ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 504:
      return ErrorCode::Timeout;
    case 429:
      return ErrorCode::Unavailable;
    default:
      break;
  }
  if (http_code >= 500) {
    return ErrorCode::Unavailable;
  }
  return ErrorCode::Internal;
}

ApiError ApiError::fromStatusObject(const nlohmann::json& status) {
  ApiError error;
  if (!status.is_object()) {
    return error;
  }
  if (auto it = status.find("code"); it != status.end() && it->is_number_integer()) {
    error.http_code = it->get<int>();
  }
  if (auto it = status.find("reason"); it != status.end() && it->is_string()) {
    error.reason = it->get<std::string>();
  }
  if (auto it = status.find("message"); it != status.end() && it->is_string()) {
    error.message = it->get<std::string>();
  }
  if (auto it = status.find("details"); it != status.end() && it->is_object()) {
    error.details = *it;
    if (auto retry = it->find("retryAfterSeconds"); retry != it->end() && retry->is_number()) {
      error.retry_after_seconds = retry->get<int>();
    }
  }
  return error;
}

ApiError ApiError::fromResponse(int http_code, std::string_view body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  ApiError error;
  if (!parsed.is_discarded() && parsed.is_object() && parsed.value("kind", "") == "Status") {
    error = fromStatusObject(parsed);
  }
  error.http_code = http_code;
  if (error.message.empty()) {
    // Not a Status (an HTML error page from a proxy, say): keep a bounded excerpt.
    std::string excerpt(body.substr(0, 200));
    error.message = excerpt.empty()
                        ? fmt::format("the server answered HTTP {}", http_code)
                        : fmt::format("the server answered HTTP {}: {}", http_code, excerpt);
  }
  return error;
}

util::ErrorCode ApiError::code() const { return errorCodeFor(reason, http_code); }

util::Error ApiError::toError(std::string_view context) const {
  std::string where = context.empty() ? std::string() : fmt::format("{}: ", context);
  if (reason.empty()) {
    return util::Error{code(), fmt::format("{}{} (HTTP {})", where, message, http_code)};
  }
  return util::Error{code(),
                     fmt::format("{}{} (reason '{}', HTTP {})", where, message, reason, http_code)};
}

}  // namespace univirt::kube
