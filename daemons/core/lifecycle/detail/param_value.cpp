#include "core/lifecycle/detail/param_value.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace univirt::lifecycle::detail {
namespace {

using util::Error;
using util::ErrorCode;

Error invalid(std::string message) { return Error{ErrorCode::InvalidArgument, std::move(message)}; }

// Values are only ever handed to libraries or argv, never to a shell, so shell syntax is
// harmless; control characters are refused because they would corrupt logs, Events and XML.
// Tab is allowed (virt-install --extra-args may carry one). C1 controls count too.
std::optional<unsigned char> findControlCharacter(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
      return byte;
    }
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        return next;
      }
    }
  }
  return std::nullopt;
}

util::Status checkText(std::string_view text) {
  const auto control = findControlCharacter(text);
  if (control.has_value()) {
    return invalid(fmt::format(
        "the value '{}' contains the control character \\x{:02x}; only printable text and tabs "
        "are accepted",
        printable(text), *control));
  }
  return util::ok();
}

std::string asciiLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return out;
}

std::string rangeText(const ParamSpec& spec) {
  if (spec.min && spec.max) {
    return fmt::format("an integer from {} to {}", *spec.min, *spec.max);
  }
  if (spec.min) {
    return fmt::format("an integer of at least {}", *spec.min);
  }
  if (spec.max) {
    return fmt::format("an integer of at most {}", *spec.max);
  }
  return "an integer";
}

util::Result<ParamValue> checkInteger(const ParamSpec& spec, const nlohmann::json& value) {
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    const auto raw = value.get<std::uint64_t>();
    if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return invalid(fmt::format("{} is out of range; expected {}", raw, rangeText(spec)));
    }
    number = static_cast<std::int64_t>(raw);
  } else if (value.is_number_integer()) {
    number = value.get<std::int64_t>();
  } else if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    const std::size_t digits_at = !text.empty() && text[0] == '-' ? 1 : 0;
    const bool digits_only = text.size() > digits_at &&
                             std::all_of(text.begin() + static_cast<std::ptrdiff_t>(digits_at),
                                         text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits_only) {
      return invalid(fmt::format("expected {}, got {}", rangeText(spec), describeJson(value)));
    }
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (status != std::errc() || end != text.data() + text.size()) {
      return invalid(
          fmt::format("'{}' is out of range; expected {}", printable(text), rangeText(spec)));
    }
  } else {
    return invalid(fmt::format("expected {}, got {}", rangeText(spec), describeJson(value)));
  }
  if ((spec.min && number < *spec.min) || (spec.max && number > *spec.max)) {
    return invalid(fmt::format("{} is out of range; expected {}", number, rangeText(spec)));
  }
  return ParamValue{number};
}

util::Result<ParamValue> checkBoolean(const nlohmann::json& value) {
  if (value.is_boolean()) {
    return ParamValue{value.get<bool>()};
  }
  if (value.is_string()) {
    // Upstream clients send Python's str(True) = "True"; any case is accepted.
    const std::string lower = asciiLower(value.get_ref<const std::string&>());
    if (lower == "true" || lower == "false") {
      return ParamValue{lower == "true"};
    }
  }
  return invalid(fmt::format("expected a boolean (true, false, \"true\" or \"false\"), got {}",
                             describeJson(value)));
}

util::Result<ParamValue> checkString(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (auto status = checkText(text); !status) {
      return std::move(status).error();
    }
    return ParamValue{text};
  }
  if (value.is_boolean()) {
    return ParamValue{std::string(value.get<bool>() ? "true" : "false")};
  }
  if (value.is_number_unsigned()) {
    return ParamValue{std::to_string(value.get<std::uint64_t>())};
  }
  if (value.is_number_integer()) {
    return ParamValue{std::to_string(value.get<std::int64_t>())};
  }
  if (value.is_number_float()) {
    return ParamValue{fixedNotation(value.get<double>())};
  }
  return invalid(fmt::format("expected a string, got {}", describeJson(value)));
}

util::Result<ParamValue> checkPath(const nlohmann::json& value, const ValidationContext& context) {
  if (!value.is_string()) {
    return invalid(fmt::format("expected an absolute path, got {}", describeJson(value)));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (auto status = checkText(text); !status) {
    return std::move(status).error();
  }
  auto normal = normalizePath(text);
  if (!normal) {
    return std::move(normal).error();
  }
  if (context.path_roots.empty()) {
    return invalid(fmt::format(
        "the path '{}' is not allowed: no path roots are configured on this node", *normal));
  }
  const bool inside =
      std::any_of(context.path_roots.begin(), context.path_roots.end(),
                  [&](const std::string& root) { return isUnderRoot(*normal, root); });
  if (!inside) {
    return invalid(fmt::format("the path '{}' is outside the allowed directories ({})",
                               printable(*normal, 200), fmt::join(context.path_roots, ", ")));
  }
  return ParamValue{*std::move(normal)};
}

util::Result<ParamValue> checkType(const ParamSpec& spec, const nlohmann::json& value,
                                   const ValidationContext& context) {
  switch (spec.type) {
    case ParamType::Integer:
      return checkInteger(spec, value);
    case ParamType::Boolean:
      return checkBoolean(value);
    case ParamType::Path:
      return checkPath(value, context);
    case ParamType::String:
      return checkString(value);
    case ParamType::Unsupported:
      break;
  }
  return invalid(fmt::format("option '{}' is not supported by univirt", spec.name));
}

}  // namespace

util::Result<ParamValue> checkParamValue(const ParamSpec& spec, const nlohmann::json& value,
                                         const ValidationContext& context) {
  auto typed = checkType(spec, value, context);
  if (!typed) {
    return typed;
  }
  if (!spec.allowed.empty()) {
    const std::string text = valueText(*typed);
    if (std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
      return invalid(
          fmt::format("'{}' is not one of {}", printable(text), fmt::join(spec.allowed, ", ")));
    }
  }
  if (spec.validator) {
    if (auto status = spec.validator(*typed, context); !status) {
      return invalid(status.error().message);
    }
  }
  return typed;
}

util::Result<std::string> normalizePath(std::string_view path) {
  if (path.empty()) {
    return invalid("expected an absolute path, got an empty string");
  }
  if (path.front() != '/') {
    return invalid(fmt::format("'{}' is not an absolute path", printable(path, 200)));
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      return invalid(fmt::format("'{}' contains a '..' component; give the path without it",
                                 printable(path, 200)));
    }
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  if (parts.empty()) {
    return std::string("/");
  }
  std::string out;
  for (const auto part : parts) {
    out += '/';
    out += part;
  }
  return out;
}

bool isUnderRoot(std::string_view path, std::string_view root) {
  const auto normal_root = normalizePath(root);
  if (!normal_root) {
    return false;
  }
  if (*normal_root == "/") {
    return !path.empty() && path.front() == '/';
  }
  if (path.size() < normal_root->size() || path.substr(0, normal_root->size()) != *normal_root) {
    return false;
  }
  return path.size() == normal_root->size() || path[normal_root->size()] == '/';
}

std::string valueText(const ParamValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    return *text;
  }
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    return std::to_string(*number);
  }
  return std::get<bool>(value) ? "true" : "false";
}

std::string fixedNotation(double number) {
  std::string shortest = fmt::format("{}", number);
  const std::size_t e = shortest.find('e');
  if (e == std::string::npos) {
    return shortest;
  }
  std::string mantissa = shortest.substr(0, e);
  const int exponent = std::stoi(shortest.substr(e + 1));
  const bool negative = !mantissa.empty() && mantissa.front() == '-';
  if (negative) {
    mantissa.erase(0, 1);
  }
  const std::size_t dot = mantissa.find('.');
  const auto integer_digits = static_cast<long>(dot == std::string::npos ? mantissa.size() : dot);
  std::string digits = mantissa;
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const long point = integer_digits + exponent;
  const auto count = static_cast<long>(digits.size());
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (point >= count) {
    out = digits + std::string(static_cast<std::size_t>(point - count), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(point)) + "." +
          digits.substr(static_cast<std::size_t>(point));
  }
  return negative ? "-" + out : out;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  const bool cut = text.size() > max;
  std::size_t keep = cut ? max : text.size();
  // Never cut inside a UTF-8 sequence: the message is serialised as JSON later.
  while (cut && keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xc0) == 0x80) {
    --keep;
  }
  const std::string_view shown = text.substr(0, keep);
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto byte = static_cast<unsigned char>(shown[i]);
    const bool c1 = byte == 0xc2 && i + 1 < shown.size() &&
                    static_cast<unsigned char>(shown[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(shown[i + 1]) <= 0x9f;
    if (byte < 0x20 || byte == 0x7f || c1) {
      out += fmt::format("\\x{:02x}", c1 ? static_cast<unsigned char>(shown[++i]) : byte);
      continue;
    }
    out += static_cast<char>(byte);
  }
  if (cut) {
    out += "...";
  }
  return out;
}

std::string describeJson(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "the boolean true" : "the boolean false";
    case nlohmann::json::value_t::string:
      return fmt::format("the string '{}'", printable(value.get_ref<const std::string&>()));
    case nlohmann::json::value_t::number_float:
      return fmt::format("the number {}", fixedNotation(value.get<double>()));
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return fmt::format("the number {}", value.dump());
    default:
      return "an unsupported value";
  }
}

}  // namespace univirt::lifecycle::detail
