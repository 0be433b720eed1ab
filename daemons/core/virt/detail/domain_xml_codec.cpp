#include "core/virt/detail/domain_xml_codec.h"

#include <array>
#include <charconv>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace univirt::virt::detail {
namespace {

// Upstream's toKubeJson renames, which it applied as text replacement over the whole JSON
// (values included). Here they apply to element and attribute names only.
struct Rename {
  std::string_view xml;
  std::string_view json;
};
constexpr std::array<Rename, 5> kRenames = {{
    {"interface", "_interface"},
    {"transient", "_transient"},
    {"nested-hv", "nested_hv"},
    {"suspend-to-mem", "suspend_to_mem"},
    {"suspend-to-disk", "suspend_to_disk"},
}};

// Every name in kRenames has 9 to 15 characters; most names do not, and skip the loop.
constexpr bool mayBeRenamed(std::string_view name) { return name.size() >= 9 && name.size() <= 15; }
constexpr bool lengthCheckCoversRenames() {
  for (const Rename& rename : kRenames) {
    if (!mayBeRenamed(rename.xml) || !mayBeRenamed(rename.json)) {
      return false;
    }
  }
  return true;
}
static_assert(lengthCheckCoversRenames(), "mayBeRenamed() must accept every renamed name");

std::optional<std::string_view> renamedName(std::string_view xml_name) {
  if (!mayBeRenamed(xml_name)) {
    return std::nullopt;
  }
  for (const Rename& rename : kRenames) {
    if (rename.xml == xml_name) {
      return rename.json;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> originalName(std::string_view json_name) {
  if (!mayBeRenamed(json_name)) {
    return std::nullopt;
  }
  for (const Rename& rename : kRenames) {
    if (rename.json == json_name) {
      return rename.xml;
    }
  }
  return std::nullopt;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isNameStartChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

bool isNameChar(unsigned char c) {
  return isNameStartChar(c) || isDigit(static_cast<char>(c)) || c == '-' || c == '.';
}

void appendCharRef(std::string& out, unsigned char c) { out += fmt::format("&#x{:X};", c); }

}  // namespace

std::optional<std::string> parseXml(std::string_view xml, pugi::xml_document& doc) {
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), kParseOptions, pugi::encoding_utf8);
  if (!parsed) {
    return fmt::format("XML is not well-formed at byte {}: {}", parsed.offset,
                       parsed.description());
  }
  int roots = 0;
  for (pugi::xml_node node = doc.first_child(); node; node = node.next_sibling()) {
    if (node.type() == pugi::node_element) {
      ++roots;
      continue;
    }
    if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
      std::string_view text = node.value();
      if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        return std::string("XML has text outside the root element");
      }
    }
  }
  if (roots != 1) {
    return fmt::format("XML must have exactly one root element, found {}", roots);
  }
  return std::nullopt;
}

namespace {

// Names elementKey writes with a `#` prefix.
bool needsElementEscape(std::string_view name) {
  return name == kTextKey || name.starts_with('_') || name.starts_with('#') ||
         originalName(name).has_value();
}

// Attribute names attributeKey writes as `_#` + name.
bool needsAttributeEscape(std::string_view name) {
  return name.starts_with('#') || originalName(name).has_value();
}

bool isEscaped(std::string_view key, std::string_view name) {
  return key.size() == name.size() + 1 && key.front() == '#' && key.substr(1) == name;
}

}  // namespace

std::string elementKey(std::string_view name) {
  if (auto renamed = renamedName(name)) {
    return std::string(*renamed);
  }
  // `text` is the text key, `_x` an attribute, `#x` ours; `nested_hv` & co. would come back
  // dashed. Prefixing `#` keeps every such key distinct from all the others.
  if (needsElementEscape(name)) {
    std::string key;
    key.reserve(name.size() + 1);
    key += '#';
    key += name;
    return key;
  }
  return std::string(name);
}

std::string attributeKey(std::string_view name) {
  std::string key;
  key.reserve(name.size() + 2);
  key += '_';
  if (auto renamed = renamedName(name)) {
    key += *renamed;
    return key;
  }
  if (needsAttributeEscape(name)) {
    key += '#';
  }
  key += name;
  return key;
}

DecodedKey decodeKey(std::string_view key) {
  if (key.empty()) {
    return {};
  }
  if (key == kTextKey) {
    return {KeyKind::Text, {}};
  }
  if (key.front() == '#') {
    if (key == kOrderKey) {
      return {KeyKind::Order, {}};
    }
    if (key == kTailsKey) {
      return {KeyKind::Tails, {}};
    }
    return {KeyKind::Element, key.substr(1)};
  }
  if (key.front() == '_') {
    // `_interface` and `_transient` are the renamed elements, not attributes.
    if (auto original = originalName(key)) {
      return {KeyKind::Element, *original};
    }
    std::string_view rest = key.substr(1);
    if (auto original = originalName(rest)) {
      return {KeyKind::Attribute, *original};
    }
    if (rest.starts_with('#')) {
      return {KeyKind::Attribute, rest.substr(1)};
    }
    return {KeyKind::Attribute, rest};
  }
  if (auto original = originalName(key)) {
    return {KeyKind::Element, *original};
  }
  return {KeyKind::Element, key};
}

bool isCanonicalKey(std::string_view key, const DecodedKey& decoded) {
  switch (decoded.kind) {
    case KeyKind::Element: {
      if (auto renamed = renamedName(decoded.name)) {
        return key == *renamed;
      }
      return needsElementEscape(decoded.name) ? isEscaped(key, decoded.name) : key == decoded.name;
    }
    case KeyKind::Attribute: {
      if (!key.starts_with('_')) {
        return false;
      }
      std::string_view rest = key.substr(1);
      if (auto renamed = renamedName(decoded.name)) {
        return rest == *renamed;
      }
      return needsAttributeEscape(decoded.name) ? isEscaped(rest, decoded.name)
                                                : rest == decoded.name;
    }
    case KeyKind::Text:
    case KeyKind::Order:
    case KeyKind::Tails:
      return true;
    case KeyKind::Invalid:
      break;
  }
  return false;
}

bool isXmlName(std::string_view name) {
  if (name.empty() || !isNameStartChar(static_cast<unsigned char>(name.front()))) {
    return false;
  }
  for (char c : name.substr(1)) {
    if (!isNameChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

Scalar classifyScalar(std::string_view text) {
  // Integer: -?(0|[1-9][0-9]*) without "-0"; float: the same, '.', digits ending in [1-9].
  // Anything else, or anything the JSON encoder would write differently, stays a string.
  Scalar string_scalar;
  std::size_t pos = 0;
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
  }
  if (pos == text.size() || !isDigit(text[pos])) {
    return string_scalar;
  }
  const bool leading_zero = text[pos] == '0';
  ++pos;
  if (!leading_zero) {
    while (pos < text.size() && isDigit(text[pos])) {
      ++pos;
    }
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (pos == text.size()) {
    if (leading_zero && text.size() == 2) {
      return string_scalar;  // "-0": the JSON integer 0 would come back as "0"
    }
    Scalar scalar{ScalarKind::Integer};
    auto [ptr, ec] = std::from_chars(begin, end, scalar.integer);
    if (ec != std::errc() || ptr != end) {
      return string_scalar;  // out of int64 range
    }
    return scalar;
  }
  if (text[pos] != '.' || pos + 1 == text.size() || text.back() == '0') {
    return string_scalar;
  }
  for (++pos; pos < text.size(); ++pos) {
    if (!isDigit(text[pos])) {
      return string_scalar;
    }
  }
  Scalar scalar{ScalarKind::Float};
  auto [ptr, ec] = std::from_chars(begin, end, scalar.floating);
  if (ec != std::errc() || ptr != end || formatDouble(scalar.floating) != text) {
    return string_scalar;
  }
  return scalar;
}

std::string formatDouble(double value) { return nlohmann::json(value).dump(); }

namespace {

// One escaping loop for both places text can stand; they differ only in the quote and in which
// control characters survive a parser unchanged.
void appendEscaped(std::string& out, std::string_view text, bool in_attribute) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const char* entity = nullptr;
    switch (c) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        if (!in_attribute) {
          continue;
        }
        entity = "&quot;";
        break;
      default:
        // In text, TAB and LF are kept and CR would be turned into LF by any parser; in an
        // attribute TAB, LF and CR would all become spaces by attribute-value normalization.
        if (c >= 0x20 || (!in_attribute && (c == '\t' || c == '\n'))) {
          continue;
        }
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    if (entity != nullptr) {
      out += entity;
    } else {
      appendCharRef(out, c);
    }
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace

void appendEscapedText(std::string& out, std::string_view text) {
  appendEscaped(out, text, /*in_attribute=*/false);
}

void appendEscapedAttribute(std::string& out, std::string_view value) {
  appendEscaped(out, value, /*in_attribute=*/true);
}

std::string_view collectText(pugi::xml_node& node, std::string& scratch) {
  std::string_view first;
  bool several = false;
  for (; node && node.type() != pugi::node_element; node = node.next_sibling()) {
    if (node.type() != pugi::node_pcdata && node.type() != pugi::node_cdata) {
      continue;
    }
    std::string_view value = node.value();
    if (value.empty()) {
      continue;
    }
    if (first.empty() && !several) {
      first = value;
      continue;
    }
    if (!several) {
      scratch.assign(first);
      several = true;
    }
    scratch += value;
  }
  return several ? std::string_view(scratch) : first;
}

std::string_view textAsData(std::string_view run, bool element_has_children) {
  if (element_has_children && run.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return {};
  }
  return run;
}

}  // namespace univirt::virt::detail
