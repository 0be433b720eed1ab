#include "kube-lite/jsonpath.h"

#include <cctype>

#include <fmt/format.h>

namespace univirt::kubelite {

using util::Error;
using util::ErrorCode;

util::Result<JsonPath> JsonPath::parse(std::string_view text) {
  std::string_view path = text;
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}') {
    path = path.substr(1, path.size() - 2);
  }
  JsonPath result;
  size_t i = 0;
  auto bad = [&](std::string_view why) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("JSONPath '{}' is not supported: {}", text, why)};
  };
  if (path.empty() || path[0] != '.') {
    return bad("it must start with '.'");
  }
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      size_t start = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') {
        ++i;
      }
      if (i == start) {
        if (i == path.size() && result.steps_.empty()) {
          return result;  // "." is the whole object
        }
        return bad("empty member name");
      }
      result.steps_.push_back({std::string(path.substr(start, i - start)), -1});
      continue;
    }
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) {
        return bad("unterminated '['");
      }
      std::string_view inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
          inner.back() == inner.front()) {
        result.steps_.push_back({std::string(inner.substr(1, inner.size() - 2)), -1});
      } else {
        long index = 0;
        if (inner.empty()) {
          return bad("empty index");
        }
        for (char c : inner) {
          if (!std::isdigit(static_cast<unsigned char>(c))) {
            return bad("only numeric indexes and quoted keys are supported");
          }
          index = index * 10 + (c - '0');
        }
        result.steps_.push_back({"", index});
      }
      i = close + 1;
      continue;
    }
    return bad("unexpected character");
  }
  return result;
}

std::optional<nlohmann::json> JsonPath::evaluate(const nlohmann::json& root) const {
  const nlohmann::json* node = &root;
  for (const auto& step : steps_) {
    if (step.index >= 0) {
      if (!node->is_array() || static_cast<size_t>(step.index) >= node->size()) {
        return std::nullopt;
      }
      node = &(*node)[static_cast<size_t>(step.index)];
      continue;
    }
    if (!node->is_object()) {
      return std::nullopt;
    }
    auto it = node->find(step.key);
    if (it == node->end()) {
      return std::nullopt;
    }
    node = &*it;
  }
  return *node;
}

}  // namespace univirt::kubelite
