// renderHelp(): the operation table as plain text for `--help`, readable in 100 columns.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/lifecycle/detail/param_text.h"
#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle {
namespace {

constexpr std::size_t kWidth = 100;
constexpr std::size_t kParamIndent = 6;
constexpr std::size_t kMaxNameColumn = 22;
constexpr std::size_t kMaxTypeColumn = 30;
// Below this many columns for the help text, it goes on its own lines instead.
constexpr std::size_t kMinHelpColumn = 30;

// The words of `text`; a word longer than `limit` (a format like
// "type=bridge|l2bridge,source=<bridge>[,mac=..]") is split after its last ',' or '|' that
// keeps a piece within the limit, or at the limit.
std::vector<std::string> wordsOf(std::string_view text, std::size_t limit) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string word; in >> word;) {
    while (word.size() > limit) {
      const std::size_t separator = word.find_last_of(",|", limit - 1);
      const std::size_t cut =
          separator == std::string::npos || separator == 0 ? limit : separator + 1;
      out.push_back(word.substr(0, cut));
      word.erase(0, cut);
    }
    out.push_back(std::move(word));
  }
  return out;
}

std::size_t longestWord(std::string_view text) {
  std::size_t longest = 0;
  for (const std::string& word : wordsOf(text, std::string::npos)) {
    longest = std::max(longest, word.size());
  }
  return longest;
}

// Appends `text` word-wrapped to kWidth: the first line continues `line`, later lines start
// with `indent` spaces.
void appendWrapped(std::ostringstream& out, std::string line, std::string_view text,
                   std::size_t indent) {
  bool line_has_words = false;
  for (const std::string& word : wordsOf(text, kWidth - indent)) {
    const bool fits = line.size() + (line_has_words ? 1 : 0) + word.size() <= kWidth;
    if (!fits && line_has_words) {
      out << line << '\n';
      line = std::string(indent, ' ');
      line_has_words = false;
    }
    if (line_has_words) {
      line += ' ';
    }
    line += word;
    line_has_words = true;
  }
  // Trailing spaces are not printed; a line of only spaces is not printed at all.
  line.erase(line.find_last_not_of(' ') + 1);
  if (!line.empty()) {
    out << line << '\n';
  }
}

std::string typeColumn(const ParamSpec& param) { return detail::paramConstraints(param); }

void renderOperation(std::ostringstream& out, const OperationSpec& operation) {
  out << "  " << operation.key << '\n';
  std::string summary = operation.summary;
  if (!operation.name_field.empty()) {
    summary += fmt::format(" The object's name is passed as '{}'.", operation.name_field);
  }
  if (!operation.refresh) {
    summary += " The object is not refreshed afterwards.";
  }
  appendWrapped(out, std::string(kParamIndent, ' '), summary, kParamIndent);

  const auto params = detail::settableParamsOf(operation);
  std::size_t name_width = 0;
  std::size_t type_width = 0;
  for (const ParamSpec* param : params) {
    name_width = std::max(name_width, std::min(param->name.size(), kMaxNameColumn));
    type_width = std::max(type_width, std::min(typeColumn(*param).size(), kMaxTypeColumn));
  }
  const std::size_t help_column = kParamIndent + name_width + 2 + type_width + 2;
  for (const ParamSpec* param : params) {
    std::string line = std::string(kParamIndent, ' ') + param->name;
    line += std::string(line.size() < kParamIndent + name_width + 2
                            ? kParamIndent + name_width + 2 - line.size()
                            : 1,
                        ' ');
    line += typeColumn(*param);
    if (param->help.empty()) {
      out << line << '\n';
      continue;
    }
    if (kWidth - help_column < kMinHelpColumn || line.size() + 2 > help_column ||
        longestWord(param->help) > kWidth - help_column) {
      // A long name, type or word: the help goes below, indented under the name.
      out << line << '\n';
      appendWrapped(out, std::string(kParamIndent + 4, ' '), param->help, kParamIndent + 4);
      continue;
    }
    line += std::string(help_column - line.size(), ' ');
    appendWrapped(out, line, param->help, help_column);
  }
  const auto unsupported = detail::unsupportedParamsOf(operation);
  if (!unsupported.empty()) {
    std::vector<std::string_view> names;
    names.reserve(unsupported.size());
    for (const ParamSpec* param : unsupported) {
      names.push_back(param->name);
    }
    appendWrapped(out, std::string(kParamIndent, ' '),
                  fmt::format("Refused as not supported: {}.", fmt::join(names, ", ")),
                  kParamIndent + 2);
  }
}

}  // namespace

std::string renderHelp(const OperationTable& table) {
  std::ostringstream out;
  appendWrapped(out, "",
                "Lifecycle operations. Request one by setting .spec.lifecycle.<operation> to an "
                "object of parameters ({} for none) on an object of the kind it is listed under. "
                "Operation names match case-insensitively; parameter values may be strings, as "
                "upstream clients send them (\"memory\": \"1024\").",
                0);
  for (const std::string& kind : table.kinds()) {
    const auto operations = table.operationsOf(kind);
    out << '\n'
        << fmt::format("{} ({} operation{})", kind, operations.size(),
                       operations.size() == 1 ? "" : "s")
        << '\n';
    for (const OperationSpec* operation : operations) {
      out << '\n';
      renderOperation(out, *operation);
    }
  }
  return out.str();
}

}  // namespace univirt::lifecycle
