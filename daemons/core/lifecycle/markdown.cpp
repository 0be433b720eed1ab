// renderMarkdown(): docs/operations.md, the operation table as a reference page.

#include <sstream>

#include <fmt/format.h>

#include "core/lifecycle/detail/param_text.h"
#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle {
namespace {

// Text from the table as Markdown: '<' would start an HTML tag ("source=<bridge>" would
// vanish).
std::string text(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    if (c == '<') {
      out += "&lt;";
    } else {
      out += c;
    }
  }
  return out;
}

// Table cells hold one line; a '|' would end the cell.
std::string cell(std::string_view raw) {
  std::string out;
  for (const char c : text(raw)) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void renderOperation(std::ostringstream& out, const OperationSpec& operation) {
  out << "\n### " << operation.key << "\n\n";
  if (!operation.summary.empty()) {
    out << text(operation.summary) << "\n\n";
  }
  if (!operation.name_field.empty()) {
    out << fmt::format(
        "- The object's name is passed as `{}` (a value given for it is replaced).\n",
        operation.name_field);
  }
  out << (operation.refresh ? "- Afterwards the object is refreshed from the backend.\n"
                            : "- Afterwards the object is not refreshed.\n");
  const auto params = detail::settableParamsOf(operation);
  if (params.empty()) {
    out << "- No parameters: send `{}`.\n";
  } else {
    out << "\n| Parameter | Type | Required | Description |\n|---|---|---|---|\n";
    for (const ParamSpec* param : params) {
      out << fmt::format("| `{}` | {} | {} | {} |\n", param->name,
                         cell(detail::paramConstraints(*param, detail::Required::Hide)),
                         param->required ? "yes" : "", cell(param->help));
    }
  }
  const auto unsupported = detail::unsupportedParamsOf(operation);
  if (!unsupported.empty()) {
    std::vector<std::string> names;
    names.reserve(unsupported.size());
    for (const ParamSpec* param : unsupported) {
      names.push_back(fmt::format("`{}`", param->name));
    }
    out << fmt::format("\nRefused as not supported by univirt: {}.\n", fmt::join(names, ", "));
  }
}

}  // namespace

std::string renderMarkdown(const OperationTable& table) {
  std::ostringstream out;
  out << "# Lifecycle operations\n\n"
         "<!-- Generated from the operation table by `univirt-crdgen --markdown`; do not edit.\n"
         "     Regenerate with: cmake --build <build dir> --target docs-operations -->\n\n"
         "A request is one key under `.spec.lifecycle` of an object: the operation's name, "
         "matched\ncase-insensitively, with an object of parameters as its value (`{}` for none). "
         "virtctl checks\nthe whole request before anything runs: an unknown operation or "
         "parameter, a missing or\nmistyped parameter, a path outside the node's path roots or "
         "more than one operation is\nrefused with `.spec.status.conditions.state.waiting` = "
         "`{reason: Exception, message: <which\nfield and why>}` and a Warning Event. Values "
         "may be written as upstream clients send them:\n\n"
         "| Type | Accepted values |\n|---|---|\n";
  for (const ParamType type : {ParamType::String, ParamType::Integer, ParamType::Boolean,
                               ParamType::Path, ParamType::Unsupported}) {
    out << fmt::format("| {} | {} |\n", paramTypeName(type), cell(detail::wireForm(type)));
  }
  out << "\nStrings with control characters other than tab are refused. Shell syntax has no "
         "meaning:\nvalues are passed to libraries or as single arguments, never to a shell.\n";
  if (table.all().empty()) {
    out << "\nNo operations are declared in this build.\n";
    return out.str();
  }
  out << "\n| Kind | Operations |\n|---|---|\n";
  for (const std::string& kind : table.kinds()) {
    std::vector<std::string> keys;
    for (const OperationSpec* operation : table.operationsOf(kind)) {
      keys.push_back(operation->key);
    }
    out << fmt::format("| {} | {} |\n", kind, fmt::join(keys, ", "));
  }
  for (const std::string& kind : table.kinds()) {
    out << "\n## " << kind << "\n";
    for (const OperationSpec* operation : table.operationsOf(kind)) {
      renderOperation(out, *operation);
    }
  }
  return out.str();
}

}  // namespace univirt::lifecycle
