#include "core/lifecycle/param_spec.h"

#include <algorithm>

#include "core/util/check.h"

namespace univirt::lifecycle {

std::string_view paramTypeName(ParamType type) {
  switch (type) {
    case ParamType::String:
      return "string";
    case ParamType::Integer:
      return "integer";
    case ParamType::Boolean:
      return "boolean";
    case ParamType::Path:
      return "path";
    case ParamType::Unsupported:
      return "unsupported";
  }
  return "unknown";
}

void Params::set(std::string name, ParamValue value) {
  for (auto& [existing, stored] : entries_) {
    if (existing == name) {
      stored = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(name), std::move(value));
}

const ParamValue* Params::find(std::string_view name) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const auto& entry) { return entry.first == name; });
  return it == entries_.end() ? nullptr : &it->second;
}

bool Params::has(std::string_view name) const { return find(name) != nullptr; }

std::string Params::string(std::string_view name, std::string_view fallback) const {
  const ParamValue* value = find(name);
  if (value == nullptr) {
    return std::string(fallback);
  }
  const auto* text = std::get_if<std::string>(value);
  UNIVIRT_CHECK(text != nullptr, "parameter is not a string");
  return *text;
}

std::int64_t Params::integer(std::string_view name, std::int64_t fallback) const {
  const ParamValue* value = find(name);
  if (value == nullptr) {
    return fallback;
  }
  const auto* number = std::get_if<std::int64_t>(value);
  UNIVIRT_CHECK(number != nullptr, "parameter is not an integer");
  return *number;
}

bool Params::flag(std::string_view name) const {
  const ParamValue* value = find(name);
  if (value == nullptr) {
    return false;
  }
  const auto* boolean = std::get_if<bool>(value);
  UNIVIRT_CHECK(boolean != nullptr, "parameter is not a boolean");
  return *boolean;
}

}  // namespace univirt::lifecycle
