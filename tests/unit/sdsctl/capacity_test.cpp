#include "sdsctl/capacity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::sdsctl {
namespace {

using ::testing::HasSubstr;

TEST(ParseCapacity, ReadsUpstreamSpellings) {
  EXPECT_EQ(parseCapacity("10G").value(), 10ULL << 30);
  EXPECT_EQ(parseCapacity("512M").value(), 512ULL << 20);
  EXPECT_EQ(parseCapacity("21737418240").value(), 21737418240ULL);
  EXPECT_EQ(parseCapacity("1GiB").value(), 1ULL << 30);
  EXPECT_EQ(parseCapacity("1gb").value(), 1ULL << 30);
  EXPECT_EQ(parseCapacity("4k").value(), 4096U);
  EXPECT_EQ(parseCapacity("2T").value(), 2ULL << 40);
  EXPECT_EQ(parseCapacity("1P").value(), 1ULL << 50);
  EXPECT_EQ(parseCapacity("100B").value(), 100U);
}

TEST(ParseCapacity, RefusesAnythingLoose) {
  for (const char* bad : {"", " 10G", "10 G", "10G ", "-1", "+1", "1.5G", "10X", "G", "10GG", "0",
                          "0G", "10Gi B", "0x10", "10e9", "10GiBs"}) {
    auto parsed = parseCapacity(bad);
    ASSERT_FALSE(parsed.has_value()) << "'" << bad << "' was accepted";
    EXPECT_EQ(parsed.error().code, util::ErrorCode::InvalidArgument);
    EXPECT_THAT(parsed.error().message, HasSubstr("is invalid"));
  }
}

TEST(ParseCapacity, RefusesOverflow) {
  EXPECT_FALSE(parseCapacity("99999999999999999999").has_value());
  EXPECT_FALSE(parseCapacity("9000000P").has_value());
  EXPECT_TRUE(parseCapacity("8191P").has_value());
  EXPECT_FALSE(parseCapacity("8192P").has_value());  // 2^63 bytes
}

TEST(FormatCapacity, PrintsTheShortestExactForm) {
  EXPECT_EQ(formatCapacity(10ULL << 30), "10G");
  EXPECT_EQ(formatCapacity(1536), "1536");
  EXPECT_EQ(formatCapacity(1536ULL << 20), "1536M");
  EXPECT_EQ(parseCapacity(formatCapacity(21737418240ULL)).value(), 21737418240ULL);
}

}  // namespace
}  // namespace univirt::sdsctl
