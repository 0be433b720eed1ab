#pragma once

#include <string>
#include <string_view>

namespace univirt::util {

// What went wrong, in the vocabulary every module boundary shares (style.md §4).
// The code decides what a caller does next (retry, fail the request, treat as done);
// the message is a whole sentence a user can act on.
enum class ErrorCode {
  InvalidArgument,
  NotFound,
  AlreadyExists,
  Conflict,
  Gone,
  Unavailable,
  Timeout,
  PermissionDenied,
  Internal,
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;

  // Failures the environment may cure by itself: try again later with backoff.
  bool retryable() const {
    return code == ErrorCode::Unavailable || code == ErrorCode::Timeout ||
           code == ErrorCode::Conflict;
  }

  // Prefixes context once per layer: "starting domain 'vm1': domain not found".
  Error withContext(std::string_view context) const;
};

bool operator==(const Error& lhs, const Error& rhs);

}  // namespace univirt::util
