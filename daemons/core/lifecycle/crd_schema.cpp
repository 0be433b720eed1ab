// lifecycleSchema(): the OpenAPI v3 schema of `spec.lifecycle` for one kind, from the table.
//
// The schema must be structural (every node typed, except int-or-string and
// preserve-unknown-fields nodes; no types inside anyOf but the int-or-string pattern) and must
// never refuse a request virtctl would accept, because upstream clients send strings, numbers
// and booleans freely. So it checks the *shape* of each value as far as structural rules can
// express it, and leaves value checks (required, ranges, allowed values, path roots) to
// virtctl, which reports them in upstream's failure shape:
//   Integer → x-kubernetes-int-or-string (a JSON integer or a string; virtctl checks digits)
//   Path    → type string
//   Boolean, String, Unsupported → untyped with x-kubernetes-preserve-unknown-fields: a
//             boolean-or-string (or string-or-number-or-boolean) cannot be typed structurally;
//             the description states the real type.
// Every operation object and the lifecycle object keep unknown fields, so an unknown
// operation or parameter reaches virtctl, which refuses it naming the field, instead of being
// pruned silently. Operation objects and parameters are nullable: the API server would
// otherwise drop a null silently ("startVM": null means {} to virtctl).

#include <fmt/format.h>

#include "core/lifecycle/detail/param_text.h"
#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle {
namespace {

using nlohmann::json;

json untyped(std::string description) {
  return {{"description", std::move(description)},
          {"nullable", true},
          {"x-kubernetes-preserve-unknown-fields", true}};
}

json paramSchema(const ParamSpec& param) {
  std::string description = detail::paramConstraints(param) + ".";
  if (!param.help.empty()) {
    description += " " + param.help;
    if (description.back() != '.') {
      description += '.';
    }
  }
  description += fmt::format(" Value: {}.", detail::wireForm(param.type));
  switch (param.type) {
    case ParamType::Integer:
      return {{"description", description},
              {"nullable", true},
              {"x-kubernetes-int-or-string", true},
              {"anyOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}};
    case ParamType::Path:
      return {{"description", description}, {"nullable", true}, {"type", "string"}};
    case ParamType::Boolean:
    case ParamType::String:
    case ParamType::Unsupported:
      break;
  }
  return untyped(description);
}

json operationSchema(const OperationSpec& operation) {
  json properties = json::object();
  for (const ParamSpec& param : operation.params) {
    properties[param.name] = paramSchema(param);
  }
  if (!operation.name_field.empty()) {
    properties[operation.name_field] = untyped(
        "Set by univirt to the object's name (metadata.name); any value given is replaced.");
  }
  std::string description = operation.summary;
  if (!description.empty() && description.back() != '.') {
    description += '.';
  }
  description +=
      " Parameters are checked by virtctl before anything runs; a refused request is "
      "reported in .spec.status.conditions.state.waiting (reason Exception) and a Warning "
      "Event.";
  return {{"type", "object"},
          {"nullable", true},
          {"description", description},
          {"x-kubernetes-preserve-unknown-fields", true},
          {"properties", std::move(properties)}};
}

}  // namespace

nlohmann::json lifecycleSchema(const OperationTable& table, std::string_view kind) {
  json properties = json::object();
  for (const OperationSpec* operation : table.operationsOf(kind)) {
    properties[operation->key] = operationSchema(*operation);
  }
  json schema = {
      {"type", "object"},
      {"description",
       fmt::format("A request to univirt's virtctl: exactly one {} operation as the only key "
                   "(matched case-insensitively), its value an object of parameters ({{}} for "
                   "none). virtctl removes it when it takes the request and records the outcome "
                   "in .spec.status and .status.",
                   kind)},
      {"x-kubernetes-preserve-unknown-fields", true}};
  if (!properties.empty()) {
    schema["properties"] = std::move(properties);
  }
  return schema;
}

}  // namespace univirt::lifecycle
