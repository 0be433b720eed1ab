#include "core/util/error.h"

#include <fmt/format.h>

namespace univirt::util {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::Gone:
      return "Gone";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::PermissionDenied:
      return "PermissionDenied";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Internal";
}

Error Error::withContext(std::string_view context) const {
  return Error{code, fmt::format("{}: {}", context, message)};
}

bool operator==(const Error& lhs, const Error& rhs) {
  return lhs.code == rhs.code && lhs.message == rhs.message;
}

}  // namespace univirt::util
