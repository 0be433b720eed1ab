#include "sdsctl/capacity.h"

#include <array>
#include <cctype>
#include <limits>

#include <fmt/format.h>

namespace univirt::sdsctl {
namespace {

constexpr std::array<char, 5> kUnits = {'K', 'M', 'G', 'T', 'P'};

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("capacity '{}' is invalid: {}; write a whole number of bytes or "
                                 "a number with one unit K, M, G, T or P (e.g. '10G', '512M')",
                                 text, why)};
}

// 0 for a bare number, else the power of 1024; -1 when the suffix is not a unit.
int unitPower(std::string_view suffix) {
  if (suffix.empty() || suffix == "B" || suffix == "b") {
    return 0;
  }
  const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0])));
  int power = 0;
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (kUnits[i] == unit) {
      power = static_cast<int>(i) + 1;
    }
  }
  if (power == 0) {
    return -1;
  }
  const std::string_view rest = suffix.substr(1);
  if (rest.empty() || rest == "i" || rest == "iB" || rest == "ib" || rest == "B" || rest == "b") {
    return power;
  }
  return -1;
}

}  // namespace

util::Result<std::uint64_t> parseCapacity(std::string_view text) {
  if (text.empty()) {
    return invalid(text, "it is empty");
  }
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  if (digits == 0) {
    return invalid(text, "it does not start with a digit");
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) {
      return invalid(text, "it is too large");
    }
    value = value * 10 + digit;
  }
  const int power = unitPower(text.substr(digits));
  if (power < 0) {
    return invalid(text, fmt::format("'{}' is not a unit", text.substr(digits)));
  }
  for (int i = 0; i < power; ++i) {
    if (value > kMax / 1024) {
      return invalid(text, "it is too large");
    }
    value *= 1024;
  }
  if (value == 0) {
    return invalid(text, "it is zero");
  }
  return value;
}

std::string formatCapacity(std::uint64_t bytes) {
  if (bytes == 0) {
    return "0";
  }
  int power = 0;
  std::uint64_t value = bytes;
  while (power < static_cast<int>(kUnits.size()) && value % 1024 == 0) {
    value /= 1024;
    ++power;
  }
  if (power == 0) {
    return fmt::format("{}", value);
  }
  return fmt::format("{}{}", value, kUnits[static_cast<std::size_t>(power) - 1]);
}

}  // namespace univirt::sdsctl
