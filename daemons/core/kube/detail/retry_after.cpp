#include "core/kube/detail/retry_after.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace univirt::kube::detail {
namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 7> kShortDays{"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// About 31 years: far beyond any cap a caller applies, far below overflow.
constexpr std::int64_t kMaxDeltaSeconds = 1'000'000'000;

// Reads the fixed-width pieces of an HTTP-date off the front of the text. Every method
// consumes input only on success; the grammar is case-sensitive and has no optional spaces.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }

  bool literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) {
      return false;
    }
    rest_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` decimal digits.
  std::optional<int> digits(std::size_t count) {
    if (rest_.size() < count) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      char c = rest_[i];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
    }
    rest_.remove_prefix(count);
    return value;
  }

  // The index of the name in `names` that the text starts with.
  template <std::size_t N>
  std::optional<int> oneOf(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        return static_cast<int>(i);
      }
    }
    return std::nullopt;
  }

  // "HH:MM:SS", 00:00:00 to 23:59:60 (the grammar allows a leap second).
  std::optional<seconds> timeOfDay() {
    auto hour = digits(2);
    if (!hour || *hour > 23 || !literal(":")) {
      return std::nullopt;
    }
    auto minute = digits(2);
    if (!minute || *minute > 59 || !literal(":")) {
      return std::nullopt;
    }
    auto second = digits(2);
    if (!second || *second > 60) {
      return std::nullopt;
    }
    return hours(*hour) + minutes(*minute) + seconds(*second);
  }

 private:
  std::string_view rest_;
};

std::optional<sys_seconds> compose(int year_number, int month_index, int day_number,
                                   seconds time_of_day) {
  year_month_day date{year{year_number}, month{static_cast<unsigned>(month_index + 1)},
                      day{static_cast<unsigned>(day_number)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return sys_days(date) + time_of_day;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<sys_seconds> parseImfFixdate(std::string_view text) {
  Cursor in(text);
  if (!in.oneOf(kShortDays) || !in.literal(", ")) {
    return std::nullopt;
  }
  auto day_number = in.digits(2);
  if (!day_number || !in.literal(" ")) {
    return std::nullopt;
  }
  auto month_index = in.oneOf(kMonths);
  if (!month_index || !in.literal(" ")) {
    return std::nullopt;
  }
  auto year_number = in.digits(4);
  if (!year_number || !in.literal(" ")) {
    return std::nullopt;
  }
  auto time_of_day = in.timeOfDay();
  if (!time_of_day || !in.literal(" GMT") || !in.done()) {
    return std::nullopt;
  }
  return compose(*year_number, *month_index, *day_number, *time_of_day);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<sys_seconds> parseRfc850Date(std::string_view text, system_clock::time_point now) {
  Cursor in(text);
  if (!in.oneOf(kLongDays) || !in.literal(", ")) {
    return std::nullopt;
  }
  auto day_number = in.digits(2);
  if (!day_number || !in.literal("-")) {
    return std::nullopt;
  }
  auto month_index = in.oneOf(kMonths);
  if (!month_index || !in.literal("-")) {
    return std::nullopt;
  }
  auto two_digit_year = in.digits(2);
  if (!two_digit_year || !in.literal(" ")) {
    return std::nullopt;
  }
  auto time_of_day = in.timeOfDay();
  if (!time_of_day || !in.literal(" GMT") || !in.done()) {
    return std::nullopt;
  }
  int this_year = static_cast<int>(year_month_day(floor<days>(now)).year());
  int year_number = this_year / 100 * 100 + *two_digit_year;
  if (year_number > this_year + 50) {
    year_number -= 100;
  }
  return compose(year_number, *month_index, *day_number, *time_of_day);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<sys_seconds> parseAsctimeDate(std::string_view text) {
  Cursor in(text);
  if (!in.oneOf(kShortDays) || !in.literal(" ")) {
    return std::nullopt;
  }
  auto month_index = in.oneOf(kMonths);
  if (!month_index || !in.literal(" ")) {
    return std::nullopt;
  }
  // The day is two digits or a space and one digit.
  auto day_number = in.literal(" ") ? in.digits(1) : in.digits(2);
  if (!day_number || !in.literal(" ")) {
    return std::nullopt;
  }
  auto time_of_day = in.timeOfDay();
  if (!time_of_day || !in.literal(" ")) {
    return std::nullopt;
  }
  auto year_number = in.digits(4);
  if (!year_number || !in.done()) {
    return std::nullopt;
  }
  return compose(*year_number, *month_index, *day_number, *time_of_day);
}

std::string_view trimOptionalWhitespace(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::optional<sys_seconds> parseHttpDate(std::string_view value, system_clock::time_point now) {
  if (auto date = parseImfFixdate(value)) {
    return date;
  }
  if (auto date = parseRfc850Date(value, now)) {
    return date;
  }
  return parseAsctimeDate(value);
}

std::optional<seconds> parseRetryAfter(std::string_view value, system_clock::time_point now) {
  std::string_view text = trimOptionalWhitespace(value);
  if (text.empty()) {
    return std::nullopt;
  }
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t delta = 0;
    for (char c : text) {
      delta = std::min(delta * 10 + (c - '0'), kMaxDeltaSeconds);
    }
    return seconds(delta);
  }
  auto date = parseHttpDate(text, now);
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return seconds(0);
  }
  return ceil<seconds>(*date - now);
}

}  // namespace univirt::kube::detail
