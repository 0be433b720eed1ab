#include "core/util/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

Result<int> parsePositive(int value) {
  if (value <= 0) {
    return Error{ErrorCode::InvalidArgument, "value must be positive"};
  }
  return value;
}

TEST(Result, HoldsValue) {
  auto result = parsePositive(3);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 3);
  EXPECT_EQ(result.value_or(7), 3);
}

TEST(Result, HoldsError) {
  auto result = parsePositive(-1);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(result.error().message, "value must be positive");
  EXPECT_EQ(result.value_or(7), 7);
}

TEST(Result, MovesOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(5);
  std::unique_ptr<int> owned = std::move(result).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 5);
}

TEST(Result, ConvertsCompatibleValues) {
  Result<std::string> result = "text";
  EXPECT_EQ(*result, "text");
  EXPECT_EQ(result->size(), 4u);
}

TEST(Result, VoidSignalsSuccessOrError) {
  Status fine = ok();
  EXPECT_TRUE(fine.has_value());
  Status failed = Error{ErrorCode::Unavailable, "libvirtd is not running"};
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().retryable());
}

TEST(Result, ValueOfErrorAborts) {
  auto result = parsePositive(0);
  EXPECT_DEATH((void)result.value(), "invariant broken");
}

TEST(Error, RetryableOnlyForTransientCodes) {
  EXPECT_TRUE((Error{ErrorCode::Timeout, ""}.retryable()));
  EXPECT_TRUE((Error{ErrorCode::Conflict, ""}.retryable()));
  EXPECT_FALSE((Error{ErrorCode::InvalidArgument, ""}.retryable()));
  EXPECT_FALSE((Error{ErrorCode::NotFound, ""}.retryable()));
  EXPECT_FALSE((Error{ErrorCode::PermissionDenied, ""}.retryable()));
}

TEST(Error, ContextIsPrefixedOnce) {
  Error error{ErrorCode::NotFound, "domain 'vm1' not defined"};
  Error wrapped = error.withContext("starting VirtualMachine default/vm1");
  EXPECT_EQ(wrapped.code, ErrorCode::NotFound);
  EXPECT_EQ(wrapped.message, "starting VirtualMachine default/vm1: domain 'vm1' not defined");
}

TEST(Error, CodeNamesAreStable) {
  EXPECT_EQ(errorCodeName(ErrorCode::InvalidArgument), "InvalidArgument");
  EXPECT_EQ(errorCodeName(ErrorCode::Gone), "Gone");
}

}  // namespace
}  // namespace univirt::util
