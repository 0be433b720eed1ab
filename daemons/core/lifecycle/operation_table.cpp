#include "core/lifecycle/operation_table.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "core/lifecycle/detail/param_text.h"
#include "core/lifecycle/detail/param_value.h"
#include "core/util/check.h"

namespace univirt::lifecycle {
namespace {

using detail::printable;
using util::Error;
using util::ErrorCode;

// Upstream turns every '_' of a parameter name into '-' before building the command line,
// so "os_variant" and "os-variant" were the same option; both spellings are accepted.
std::string paramMatchKey(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool isNameField(const OperationSpec& operation, std::string_view param) {
  return !operation.name_field.empty() &&
         paramMatchKey(param) == paramMatchKey(operation.name_field);
}

// The parameters a user may give, for "takes: ..." in messages.
std::string settableParams(const OperationSpec& operation) {
  std::vector<std::string_view> names;
  for (const ParamSpec* param : detail::settableParamsOf(operation)) {
    names.push_back(param->name);
  }
  if (names.empty()) {
    return fmt::format("{} takes no parameters", operation.key);
  }
  return fmt::format("{} takes: {}", operation.key, fmt::join(names, ", "));
}

const ParamSpec* findParamLoosely(const OperationSpec& operation, std::string_view name) {
  const std::string wanted = paramMatchKey(name);
  const auto it =
      std::find_if(operation.params.begin(), operation.params.end(),
                   [&](const ParamSpec& param) { return paramMatchKey(param.name) == wanted; });
  return it == operation.params.end() ? nullptr : &*it;
}

// Builds the error, fills `error_detail` and returns the Error for the Result. The operation
// is made printable too: callers put it in Events and log lines.
Error refuse(RequestError* error_detail, std::string_view operation, std::string message) {
  if (error_detail != nullptr) {
    error_detail->operation = printable(operation);
    error_detail->message = message;
  }
  return Error{ErrorCode::InvalidArgument, std::move(message)};
}

std::string unknownOperationMessage(const OperationTable& table, std::string_view kind,
                                    std::string_view key) {
  std::string message = fmt::format("unknown operation '{}' for {}", printable(key), kind);
  const auto known = table.operationsOf(kind);
  if (known.empty()) {
    message += fmt::format("; {} takes no operations", kind);
  } else {
    std::vector<std::string_view> keys;
    keys.reserve(known.size());
    for (const OperationSpec* operation : known) {
      keys.push_back(operation->key);
    }
    message += fmt::format("; known operations: {}", fmt::join(keys, ", "));
  }
  // A request sent to the wrong kind is a common slip; say where the operation lives.
  for (const std::string& other : table.kinds()) {
    if (other != kind && table.find(other, key) != nullptr) {
      message += fmt::format(" ('{}' is an operation of {})", table.find(other, key)->key, other);
      break;
    }
  }
  return message;
}

}  // namespace

std::string matchKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (const char c : key) {
    if (c == '_') {
      continue;
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

void OperationTable::add(OperationSpec operation) {
  UNIVIRT_CHECK(!operation.kind.empty() && !operation.key.empty(),
                "every operation has a kind and a key");
  UNIVIRT_CHECK(find(operation.kind, operation.key) == nullptr,
                "an operation is declared once per kind");
  for (std::size_t i = 0; i < operation.params.size(); ++i) {
    const ParamSpec& param = operation.params[i];
    UNIVIRT_CHECK(!param.name.empty(), "every parameter has a name");
    UNIVIRT_CHECK(!param.min || !param.max || *param.min <= *param.max, "min <= max");
    for (std::size_t j = 0; j < i; ++j) {
      UNIVIRT_CHECK(paramMatchKey(operation.params[j].name) != paramMatchKey(param.name),
                    "a parameter is declared once per operation");
    }
  }
  operations_.push_back(std::move(operation));
}

const OperationSpec* OperationTable::find(std::string_view kind, std::string_view key) const {
  const std::string wanted = matchKey(key);
  const auto it =
      std::find_if(operations_.begin(), operations_.end(), [&](const OperationSpec& operation) {
        return operation.kind == kind && matchKey(operation.key) == wanted;
      });
  return it == operations_.end() ? nullptr : &*it;
}

std::vector<const OperationSpec*> OperationTable::operationsOf(std::string_view kind) const {
  std::vector<const OperationSpec*> out;
  for (const OperationSpec& operation : operations_) {
    if (operation.kind == kind) {
      out.push_back(&operation);
    }
  }
  return out;
}

std::vector<std::string> OperationTable::kinds() const {
  std::vector<std::string> out;
  for (const OperationSpec& operation : operations_) {
    if (std::find(out.begin(), out.end(), operation.kind) == out.end()) {
      out.push_back(operation.kind);
    }
  }
  return out;
}

util::Result<OperationTable::Request> OperationTable::validate(std::string_view kind,
                                                               std::string_view name,
                                                               const nlohmann::json& lifecycle,
                                                               const ValidationContext& context,
                                                               RequestError* error_detail) const {
  if (!lifecycle.is_object()) {
    return refuse(error_detail, "",
                  fmt::format("spec.lifecycle: expected an object holding one operation, got {}",
                              detail::describeJson(lifecycle)));
  }
  if (lifecycle.empty()) {
    return refuse(error_detail, "", "spec.lifecycle is empty");
  }
  if (lifecycle.size() > 1) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : lifecycle.items()) {
      keys.push_back(fmt::format("'{}'", printable(key)));
    }
    return refuse(error_detail, lifecycle.begin().key(),
                  fmt::format("spec.lifecycle holds {} operations ({}); send one operation per "
                              "request",
                              keys.size(), fmt::join(keys, ", ")));
  }
  const std::string& key = lifecycle.begin().key();
  const nlohmann::json& body = lifecycle.begin().value();
  const OperationSpec* operation = find(kind, key);
  if (operation == nullptr) {
    return refuse(error_detail, key, unknownOperationMessage(*this, kind, key));
  }
  const std::string field = fmt::format("spec.lifecycle.{}", printable(key));
  // Upstream clients send {}; null means the same.
  if (!body.is_null() && !body.is_object()) {
    return refuse(error_detail, key,
                  fmt::format("{}: expected an object of parameters, got {}", field,
                              detail::describeJson(body)));
  }

  Request request{.operation = operation, .params = {}};
  if (body.is_object()) {
    for (const auto& [param_name, value] : body.items()) {
      const std::string param_field = fmt::format("{}.{}", field, printable(param_name));
      // Upstream overwrites the name field with the object's name, whatever was given.
      if (isNameField(*operation, param_name)) {
        continue;
      }
      const ParamSpec* param = findParamLoosely(*operation, param_name);
      if (param == nullptr) {
        return refuse(
            error_detail, key,
            fmt::format("{}: unknown parameter; {}", param_field, settableParams(*operation)));
      }
      if (param->type == ParamType::Unsupported) {
        std::string message = fmt::format("{}: the option '{}' is not supported by univirt",
                                          param_field, param->name);
        if (!param->help.empty()) {
          message += fmt::format(" ({})", param->help);
        }
        return refuse(error_detail, key, std::move(message));
      }
      if (request.params.has(param->name)) {
        return refuse(error_detail, key,
                      fmt::format("{}: '{}' is given twice (spelled with '-' and '_')", param_field,
                                  param->name));
      }
      auto typed = detail::checkParamValue(*param, value, context);
      if (!typed) {
        return refuse(error_detail, key, fmt::format("{}: {}", param_field, typed.error().message));
      }
      request.params.set(param->name, *std::move(typed));
    }
  }

  std::vector<std::string> missing;
  for (const ParamSpec& param : operation->params) {
    if (param.required && !isNameField(*operation, param.name) && !request.params.has(param.name)) {
      missing.push_back(param.name);
    }
  }
  if (missing.size() == 1) {
    return refuse(error_detail, key,
                  fmt::format("{}.{}: required parameter is missing", field, missing.front()));
  }
  if (!missing.empty()) {
    return refuse(
        error_detail, key,
        fmt::format("{}: required parameters are missing: {}", field, fmt::join(missing, ", ")));
  }
  if (!operation->name_field.empty()) {
    request.params.set(operation->name_field, std::string(name));
  }
  return request;
}

}  // namespace univirt::lifecycle
