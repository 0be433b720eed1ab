#include "core/kube/detail/yaml_json.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace univirt::kube::detail {
namespace {

using util::Error;
using util::ErrorCode;

nlohmann::json scalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // "!" is yaml-cpp's tag for quoted (non-plain) scalars: always strings.
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
    return text;
  }
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  std::int64_t integer = 0;
  auto [int_end, int_err] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (int_err == std::errc() && int_end == text.data() + text.size()) {
    return integer;
  }
  double real = 0;
  auto [real_end, real_err] = std::from_chars(text.data(), text.data() + text.size(), real);
  if (real_err == std::errc() && real_end == text.data() + text.size()) {
    return real;
  }
  return text;
}

nlohmann::json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) {
        out.push_back(toJson(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) {
        out[entry.first.as<std::string>()] = toJson(entry.second);
      }
      return out;
    }
  }
  return nullptr;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+' || c == '-') {
    return 62;
  }
  if (c == '/' || c == '_') {
    return 63;
  }
  return -1;
}

}  // namespace

util::Result<nlohmann::json> parseYaml(std::string_view text, std::string_view what) {
  // yaml-cpp reports errors only by exception; they stop here (style.md §4).
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return toJson(root);
  } catch (const YAML::Exception& e) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} is not valid YAML: line {}, column {}: {}", what, e.mark.line + 1,
                             e.mark.column + 1, e.msg)};
  }
}

util::Result<std::string> decodeBase64(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    if (c == '=') {
      padding = true;
      continue;
    }
    int value = base64Value(c);
    if (value < 0 || padding) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("{} is not valid base64: unexpected character '{}'", what, c)};
    }
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace univirt::kube::detail
