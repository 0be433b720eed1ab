#include "core/lifecycle/detail/param_text.h"

#include <fmt/format.h>

namespace univirt::lifecycle::detail {
namespace {

bool sameParam(std::string_view lhs, std::string_view rhs) {
  if (lhs.size() != rhs.size()) {
    return false;
  }
  for (std::size_t i = 0; i < lhs.size(); ++i) {
    const char a = lhs[i] == '-' ? '_' : lhs[i];
    const char b = rhs[i] == '-' ? '_' : rhs[i];
    if (a != b) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string paramConstraints(const ParamSpec& param, Required required) {
  std::string out(paramTypeName(param.type));
  if (param.type == ParamType::Integer && (param.min || param.max)) {
    out += fmt::format(" {}..{}", param.min ? std::to_string(*param.min) : "",
                       param.max ? std::to_string(*param.max) : "");
  }
  if (param.required && required == Required::Show) {
    out += ", required";
  }
  if (!param.allowed.empty()) {
    out += fmt::format(", one of: {}", fmt::join(param.allowed, ", "));
  }
  return out;
}

std::string wireForm(ParamType type) {
  switch (type) {
    case ParamType::Integer:
      return "an integer or a string of decimal digits (\"1024\")";
    case ParamType::Boolean:
      return "true or false, or the string \"true\" or \"false\" (any case)";
    case ParamType::Path:
      return "an absolute path inside the node's configured path roots";
    case ParamType::String:
      return "a string; numbers and booleans are taken as their text";
    case ParamType::Unsupported:
      return "not supported by univirt; any value is refused";
  }
  return "";
}

std::vector<const ParamSpec*> settableParamsOf(const OperationSpec& operation) {
  std::vector<const ParamSpec*> out;
  for (const ParamSpec& param : operation.params) {
    if (param.type != ParamType::Unsupported && !sameParam(param.name, operation.name_field)) {
      out.push_back(&param);
    }
  }
  return out;
}

std::vector<const ParamSpec*> unsupportedParamsOf(const OperationSpec& operation) {
  std::vector<const ParamSpec*> out;
  for (const ParamSpec& param : operation.params) {
    if (param.type == ParamType::Unsupported) {
      out.push_back(&param);
    }
  }
  return out;
}

}  // namespace univirt::lifecycle::detail
