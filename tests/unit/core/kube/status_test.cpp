#include "core/kube/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using util::ErrorCode;

// Bodies as the real API server sends them (kube-api-semantics.md §4.5).
constexpr std::string_view kNotFound =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"virtualmachines.doslab.io \"vm9\" not found","reason":"NotFound","details":{"name":"vm9","group":"doslab.io","kind":"virtualmachines"},"code":404})";
constexpr std::string_view kAlreadyExists =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"virtualmachines.doslab.io \"vm1\" already exists","reason":"AlreadyExists","details":{"name":"vm1","group":"doslab.io","kind":"virtualmachines"},"code":409})";
constexpr std::string_view kConflict =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on virtualmachines.doslab.io \"vm1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"vm1","group":"doslab.io","kind":"virtualmachines"},"code":409})";
constexpr std::string_view kTooMany =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})";

TEST(ApiError, NotFoundKeepsServerMessageReasonAndCode) {
  ApiError error = ApiError::fromResponse(404, kNotFound);
  EXPECT_EQ(error.http_code, 404);
  EXPECT_EQ(error.reason, "NotFound");
  EXPECT_EQ(error.details["name"], "vm9");
  util::Error converted = error.toError("get virtualmachines.doslab.io 'default/vm9'");
  EXPECT_EQ(converted.code, ErrorCode::NotFound);
  EXPECT_EQ(converted.message,
            "get virtualmachines.doslab.io 'default/vm9': virtualmachines.doslab.io \"vm9\" not "
            "found (reason 'NotFound', HTTP 404)");
}

TEST(ApiError, SameHttpCodeDifferentReasonsMapDifferently) {
  EXPECT_EQ(ApiError::fromResponse(409, kAlreadyExists).code(), ErrorCode::AlreadyExists);
  EXPECT_EQ(ApiError::fromResponse(409, kConflict).code(), ErrorCode::Conflict);
}

TEST(ApiError, TooManyRequestsIsUnavailableWithRetryAfter) {
  ApiError error = ApiError::fromResponse(429, kTooMany);
  EXPECT_EQ(error.code(), ErrorCode::Unavailable);
  EXPECT_EQ(error.retry_after_seconds, 1);
}

TEST(ApiError, NonStatusBodyFallsBackToHttpCode) {
  ApiError error = ApiError::fromResponse(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(error.code(), ErrorCode::Unavailable);
  EXPECT_THAT(error.toError("list pods").message, HasSubstr("<html>Bad Gateway</html>"));
  EXPECT_THAT(error.toError("list pods").message, HasSubstr("HTTP 502"));
}

TEST(ApiError, WatchErrorEventStatusBecomesGone) {
  auto status = nlohmann::json::parse(
      R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (1062)","reason":"Expired","code":410})json");
  ApiError error = ApiError::fromStatusObject(status);
  EXPECT_EQ(error.http_code, 410);
  EXPECT_EQ(error.code(), ErrorCode::Gone);
  EXPECT_THAT(error.toError("watch").message, HasSubstr("too old resource version"));
}

TEST(ErrorCodeFor, MapsEveryDocumentedReason) {
  struct Case {
    const char* reason;
    int http;
    ErrorCode code;
  };
  const Case cases[] = {
      {"Invalid", 422, ErrorCode::InvalidArgument},
      {"BadRequest", 400, ErrorCode::InvalidArgument},
      {"UnsupportedMediaType", 415, ErrorCode::InvalidArgument},
      {"MethodNotAllowed", 405, ErrorCode::InvalidArgument},
      {"Unauthorized", 401, ErrorCode::PermissionDenied},
      {"Forbidden", 403, ErrorCode::PermissionDenied},
      {"Expired", 410, ErrorCode::Gone},
      {"Gone", 410, ErrorCode::Gone},
      {"Timeout", 504, ErrorCode::Timeout},
      {"ServerTimeout", 500, ErrorCode::Timeout},
      {"InternalError", 500, ErrorCode::Unavailable},
      {"ServiceUnavailable", 503, ErrorCode::Unavailable},
      {"", 404, ErrorCode::NotFound},
      {"", 418, ErrorCode::Internal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(errorCodeFor(c.reason, c.http), c.code) << c.reason << " " << c.http;
  }
}

}  // namespace
}  // namespace univirt::kube
