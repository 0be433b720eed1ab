#pragma once

// Parsing of the Retry-After response header (RFC 9110 §10.2.3), which a server sends with 429
// and 503 to say when to come back: either delta-seconds ("120") or an HTTP-date.
//
// Accepted HTTP-date forms (RFC 9110 §5.6.7), all in GMT:
//   IMF-fixdate   "Sun, 06 Nov 1994 08:49:37 GMT"   (what senders must generate)
//   rfc850-date   "Sunday, 06-Nov-94 08:49:37 GMT"  (obsolete; recipients should accept it)
//   asctime-date  "Sun Nov  6 08:49:37 1994"        (obsolete; recipients should accept it)
// The parse is strict: anything else (a partial date, trailing text, 31 Feb, a negative number)
// is not a Retry-After and the caller keeps its own backoff. Poco's DateTimeParser is not used
// because it skips junk and fills in missing fields ("soon" parses as the year 0).

#include <chrono>
#include <optional>
#include <string_view>

namespace univirt::kube::detail {

// The delay the header asks for: delta-seconds as given (saturating at about 31 years), a date
// as the whole seconds from `now` until it (rounded up), 0 for a date that already passed.
// std::nullopt when `value` is neither form.
std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// Parses an HTTP-date in one of the three forms above. `now` decides the century of an
// rfc850-date's two-digit year: a year more than 50 years ahead of `now` is taken as the most
// recent past year with the same last two digits (RFC 9110 §5.6.7).
std::optional<std::chrono::sys_seconds> parseHttpDate(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

}  // namespace univirt::kube::detail
