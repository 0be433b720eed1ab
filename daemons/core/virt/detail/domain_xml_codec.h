#pragma once

// Pieces shared by the domain XML reader, writer and canonicalizer: how names become JSON keys
// and back, how text becomes a JSON scalar and back, and XML escaping. The rules are listed in
// docs/adr/0001-domain-xml-json.md; each function here implements one of them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pugixml.hpp>

namespace univirt::virt::detail {

inline constexpr std::string_view kTextKey = "text";
inline constexpr std::string_view kOrderKey = "#order";
inline constexpr std::string_view kTailsKey = "#tails";

// Domain XML nests about 8 deep; the limit only guards the recursion against hostile input.
inline constexpr unsigned kMaxDepth = 256;

// Whitespace-only text is kept only where it is an element's sole content, so indentation never
// becomes data but `<x> </x>` survives. Comments and PIs are not parsed at all. Fragment mode
// only so that text outside the root reaches parseXml, which rejects it instead of dropping it.
inline constexpr unsigned kParseOptions =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

// Parses `xml` into `doc`; returns an error sentence or nothing. Requires exactly one root
// element and no text outside it.
std::optional<std::string> parseXml(std::string_view xml, pugi::xml_document& doc);

// JSON key of an element named `name`: renamed, or `#`-escaped when ambiguous.
std::string elementKey(std::string_view name);
// JSON key of an attribute named `name`: `_` + renamed name, `_#` + name when ambiguous.
std::string attributeKey(std::string_view name);

enum class KeyKind { Attribute, Text, Order, Tails, Element, Invalid };
struct DecodedKey {
  KeyKind kind = KeyKind::Invalid;
  std::string_view name;  // XML name for Attribute and Element; points into the key or statics
};
DecodedKey decodeKey(std::string_view key);

// True if `key` is what elementKey/attributeKey give for the name it decodes to. Other
// spellings (`#name` for a plain name, `nested-hv`, `interface`, `_#x`) decode too, but would not
// come back the same way and could name one attribute twice, so the writer rejects them.
bool isCanonicalKey(std::string_view key, const DecodedKey& decoded);

// True if `name` is an XML 1.0 Name (non-ASCII bytes accepted as name characters).
bool isXmlName(std::string_view name);

// The scalar kind text maps to (see the ADR "Numbers"); parse results are filled in.
enum class ScalarKind { String, Integer, Float };
struct Scalar {
  ScalarKind kind = ScalarKind::String;
  std::int64_t integer = 0;
  double floating = 0.0;
};
Scalar classifyScalar(std::string_view text);

// The digits nlohmann::json (and Go's encoder after it) writes for `value`.
std::string formatDouble(double value);

// Escaping for text content (& < > and CR/control characters) and for double-quoted attribute
// values (additionally " TAB LF, which attribute-value normalization would otherwise eat).
void appendEscapedText(std::string& out, std::string_view text);
void appendEscapedAttribute(std::string& out, std::string_view value);

// Concatenated text of the text nodes (PCDATA and CDATA) from `node` up to the next element or
// the end; `node` is advanced to that element (or to an empty node).
std::string_view collectText(pugi::xml_node& node, std::string& scratch);

// A run of text as data: whitespace-only text counts only as the sole content of an element.
// (pugixml already drops whitespace-only PCDATA next to elements; this catches whitespace-only
// CDATA, which it keeps, so that writing the text back as PCDATA loses nothing.)
std::string_view textAsData(std::string_view run, bool element_has_children);

}  // namespace univirt::virt::detail
