#include "tools/crdgen/yaml_writer.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace univirt::crdgen {
namespace {

using nlohmann::ordered_json;

// YAML 1.1 and 1.2 readers resolve these plain scalars to booleans, null or special floats.
constexpr std::array<std::string_view, 14> kReserved = {"true", "false", "yes",   "no",   "on",
                                                        "off",  "y",     "n",     "null", "~",
                                                        ".inf", ".nan",  "-.inf", "+.inf"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

bool isPlainSafe(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  const char first = text.front();
  const bool first_ok = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
                        first == '.' || first == '/' || first == '_';
  if (!first_ok) {
    return false;  // digits, signs and YAML indicators
  }
  if (first == '.' && (text.size() == 1 || (text[1] >= '0' && text[1] <= '9'))) {
    return false;  // ".5" is a float
  }
  const bool chars_ok = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/' || c == '_' || c == '-' || c == '(' || c == ')';
  });
  return chars_ok && std::find(kReserved.begin(), kReserved.end(), lower(text)) == kReserved.end();
}

std::string scalarText(const ordered_json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return isPlainSafe(text) ? text : value.dump();
  }
  if (value.is_object()) {
    return "{}";  // only reached for empty containers
  }
  if (value.is_array()) {
    return "[]";
  }
  return value.dump();
}

bool isBlock(const ordered_json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

void writeNode(std::string& out, const ordered_json& value, std::size_t indent);

void writeMapping(std::string& out, const ordered_json& object, std::size_t indent) {
  for (const auto& [key, child] : object.items()) {
    out.append(indent, ' ');
    out += scalarText(ordered_json(key));
    out += ':';
    if (isBlock(child)) {
      out += '\n';
      writeNode(out, child, indent + 2);
    } else {
      out += ' ';
      out += scalarText(child);
      out += '\n';
    }
  }
}

void writeSequence(std::string& out, const ordered_json& array, std::size_t indent) {
  for (const auto& item : array) {
    out.append(indent, ' ');
    out += '-';
    if (item.is_object() && !item.empty()) {
      // The first key shares the "- " line; the rest align under it.
      std::string nested;
      writeMapping(nested, item, indent + 2);
      out += ' ';
      out += nested.substr(indent + 2);
    } else if (isBlock(item)) {
      out += '\n';
      writeNode(out, item, indent + 2);
    } else {
      out += ' ';
      out += scalarText(item);
      out += '\n';
    }
  }
}

void writeNode(std::string& out, const ordered_json& value, std::size_t indent) {
  if (value.is_object()) {
    writeMapping(out, value, indent);
  } else {
    writeSequence(out, value, indent);
  }
}

}  // namespace

std::string toYaml(const nlohmann::ordered_json& document) {
  if (!isBlock(document)) {
    return scalarText(document) + "\n";
  }
  std::string out;
  writeNode(out, document, 0);
  return out;
}

}  // namespace univirt::crdgen
