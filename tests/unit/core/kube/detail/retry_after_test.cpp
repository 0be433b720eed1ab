#include "core/kube/detail/retry_after.h"

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/transport.h"
#include "unit/core/kube/skipping_clock.h"
#include "unit/core/kube/test_server.h"

namespace univirt::kube {
namespace {

using detail::parseHttpDate;
using detail::parseRetryAfter;
using testing::RecordedRequest;
using testing::reply;
using testing::SkippingClock;
using testing::TestServer;
using namespace std::chrono_literals;
using namespace std::chrono;

// 2026-10-21 07:27:00 UTC, a Wednesday.
const system_clock::time_point kNow = sys_days{2026y / October / 21} + 7h + 27min;

TEST(RetryAfter, ParsesDeltaSeconds) {
  EXPECT_EQ(parseRetryAfter("120", kNow), 120s);
  EXPECT_EQ(parseRetryAfter("0", kNow), 0s);
  EXPECT_EQ(parseRetryAfter(" 3\t", kNow), 3s) << "optional whitespace around the value";
  EXPECT_EQ(parseRetryAfter("0007", kNow), 7s);
  // Longer than any cap a caller applies, but still a delay to honour, not garbage.
  EXPECT_EQ(parseRetryAfter("99999999999999999999999", kNow), 1'000'000'000s);
}

TEST(RetryAfter, ParsesImfFixdateAsTheTimeLeftUntilIt) {
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", kNow), 60s);
  EXPECT_EQ(parseRetryAfter("Thu, 22 Oct 2026 07:27:00 GMT", kNow), 24h);
  EXPECT_EQ(parseRetryAfter("Fri, 01 Jan 2027 00:00:00 GMT", kNow),
            sys_days{2027y / January / 1} - kNow);
  // Whole seconds, rounded up: leaving early would only earn another 429.
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", kNow + 500ms), 60s);
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", kNow + 59'999ms), 1s);
}

TEST(RetryAfter, DateThatAlreadyPassedMeansNow) {
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2026 07:27:00 GMT", kNow), 0s);
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2026 07:26:59 GMT", kNow), 0s);
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNow), 0s);
}

TEST(RetryAfter, AcceptsTheObsoleteDateForms) {
  EXPECT_EQ(parseRetryAfter("Wednesday, 21-Oct-26 07:28:00 GMT", kNow), 60s);
  EXPECT_EQ(parseRetryAfter("Wed Oct 21 07:28:00 2026", kNow), 60s);
  auto single_digit_day = parseHttpDate("Sun Nov  6 08:49:37 1994", kNow);
  ASSERT_TRUE(single_digit_day);
  EXPECT_EQ(*single_digit_day, sys_days{1994y / November / 6} + 8h + 49min + 37s);
}

TEST(RetryAfter, IgnoresAnythingElse) {
  for (const char* value : {
           "",
           "   ",
           "soon",
           "-5",
           "+5",
           "1.5",
           "5s",
           "Wed, 21 Oct 2026",                     // no time
           "Wed, 21 Oct 2026 07:28:00",            // no zone
           "Wed, 21 Oct 2026 07:28:00 UTC",        // only GMT is allowed
           "Wed, 21 Oct 2026 07:28:00 GMT junk",   // trailing text
           "Wed, 21 Oct 26 07:28:00 GMT",          // two-digit year in IMF-fixdate
           "Wed, 1 Oct 2026 07:28:00 GMT",         // one-digit day in IMF-fixdate
           "Wed,  21 Oct 2026 07:28:00 GMT",       // extra space
           "wed, 21 oct 2026 07:28:00 GMT",        // the grammar is case-sensitive
           "Xyz, 21 Oct 2026 07:28:00 GMT",        // no such day
           "Wed, 21 Foo 2026 07:28:00 GMT",        // no such month
           "Wed, 31 Feb 2026 07:28:00 GMT",        // no such date
           "Wed, 00 Oct 2026 07:28:00 GMT",        // no such date
           "Wed, 21 Oct 2026 24:00:00 GMT",        // hour out of range
           "Wed, 21 Oct 2026 07:60:00 GMT",        // minute out of range
           "Wed, 21 Oct 2026 07:28:61 GMT",        // second out of range
           "Wed, 21 Oct 2026 7:28:00 GMT",         // one-digit hour
           "Wednesday, 21-Oct-2026 07:28:00 GMT",  // four-digit year in rfc850-date
           "Wed Oct 21 07:28:00 2026 GMT",         // asctime has no zone
       }) {
    EXPECT_EQ(parseRetryAfter(value, kNow), std::nullopt) << "'" << value << "'";
  }
}

TEST(HttpDate, LeapSecondRollsOverToTheNextMinute) {
  auto date = parseHttpDate("Wed, 31 Dec 2025 23:59:60 GMT", kNow);
  ASSERT_TRUE(date);
  EXPECT_EQ(*date, sys_days{2026y / January / 1});
}

TEST(HttpDate, TwoDigitYearIsNeverMoreThanFiftyYearsAhead) {
  // RFC 9110 §5.6.7: such a year is the most recent past year with the same last two digits.
  auto past = parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", kNow);
  ASSERT_TRUE(past);
  EXPECT_EQ(year_month_day(floor<days>(*past)).year(), 1994y);
  auto near_future = parseHttpDate("Monday, 06-Nov-76 08:49:37 GMT", kNow);
  ASSERT_TRUE(near_future);
  EXPECT_EQ(year_month_day(floor<days>(*near_future)).year(), 2076y);
  auto beyond_fifty = parseHttpDate("Monday, 06-Nov-77 08:49:37 GMT", kNow);
  ASSERT_TRUE(beyond_fifty);
  EXPECT_EQ(year_month_day(floor<days>(*beyond_fifty)).year(), 1977y);
}

// The transport waits for what the date asks (SkippingClock's wall time starts at
// 2026-01-01 00:00:00 UTC, a Thursday), then retries.
TEST(Transport, HonoursRetryAfterGivenAsAnHttpDate) {
  for (const auto& [header_text, expected_wait] : std::vector<std::pair<std::string, seconds>>{
           {"Thu, 01 Jan 2026 00:00:07 GMT", 7s},
           {"Wed, 31 Dec 2025 23:00:00 GMT", 0s},
       }) {
    const std::string& header = header_text;  // clang 14 cannot capture a structured binding
    std::atomic<int> calls{0};
    SkippingClock clock;
    TestServer server([&](const RecordedRequest&, auto& response) {
      if (calls.fetch_add(1) == 0) {
        reply(response, 429, R"({"kind":"Status","code":429})", {{"Retry-After", header}});
        return;
      }
      reply(response, 200, R"({"ok":true})");
    });
    ClientConfig config;
    config.server = server.url();
    auto transport = Transport::create(config, {}, clock);
    ASSERT_TRUE(transport) << transport.error().message;
    HttpRequest request;
    request.target = "/api/v1/namespaces";
    auto response = (*transport)->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_THAT(clock.slept(), ::testing::ElementsAre(expected_wait)) << header;
  }
}

TEST(Transport, FallsBackToItsBackoffForAnUnparsableRetryAfter) {
  std::atomic<int> calls{0};
  SkippingClock clock;
  TestServer server([&](const RecordedRequest&, auto& response) {
    if (calls.fetch_add(1) == 0) {
      reply(response, 429, R"({"kind":"Status","code":429})", {{"Retry-After", "soon"}});
      return;
    }
    reply(response, 200, "{}");
  });
  ClientConfig config;
  config.server = server.url();
  TransportOptions options;
  options.retry_backoff = util::BackoffPolicy{250ms, 10'000ms, 2.0, 0.0};
  auto transport = Transport::create(config, options, clock);
  ASSERT_TRUE(transport) << transport.error().message;
  HttpRequest request;
  request.target = "/api/v1/namespaces";
  auto response = (*transport)->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(clock.slept(), ::testing::ElementsAre(250ms));
}

}  // namespace
}  // namespace univirt::kube
