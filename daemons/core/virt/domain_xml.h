#pragma once

// Domain XML <-> JSON in the upstream uniVirt convention (crd-contract.md §4.2), made lossless.
//
// The JSON is what `.spec.domain` of a VirtualMachine holds (and `.spec.domainsnapshot` of a
// snapshot). The top-level object has one key, the root element's name:
//   <domain type='kvm'><vcpu placement='static'>2</vcpu>...</domain>
//   -> {"domain": {"_type": "kvm", "vcpu": {"_placement": "static", "text": 2}, ...}}
//
// Mapping (applied to names structurally, never as text replacement over values):
//  * an element becomes a key named after its tag whose value is an object; an empty element
//    is `{}`;
//  * an attribute becomes key `_<name>`, its value a scalar;
//  * text before the first child element becomes key `text`;
//  * repeated sibling elements become an array; paths in ArrayPaths (upstream arraylist.cfg by
//    default) are always arrays, even with one element;
//  * element names `interface`, `transient`, `nested-hv`, `suspend-to-mem`, `suspend-to-disk`
//    become `_interface`, `_transient`, `nested_hv`, `suspend_to_mem`, `suspend_to_disk`;
//    attribute names get `_` + the same rename (attribute `interface` is `__interface`);
//  * a value becomes a JSON integer only if it is the canonical decimal form of an int64, and a
//    JSON float only if it is a plain decimal that the JSON encoder writes back digit for digit;
//    everything else (`0012`, `+5`, `-0`, `1e3`, `0x10`, `1.50`, `nan`, `yes`) stays a string.
// What the upstream shape cannot hold lives under keys starting with `#`, which no XML name can
// start with: `#order` (document order of children when same-name siblings are interleaved),
// `#tails` (text after child elements in mixed content), and `#<name>` for elements whose own
// name would be ambiguous (`text`, names starting with `_`, `nested_hv`, ...).
// docs/adr/0001-domain-xml-json.md lists every rule and why.
//
// Guarantee: canonicalizeXml(jsonToDomainXml(domainXmlToJson(x))) == canonicalizeXml(x) for
// every well-formed document x. Comments, processing instructions, the XML declaration and the
// DOCTYPE are not kept; whitespace-only text between elements is not significant.
//
// All functions are thread-safe and keep no state between calls.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::virt {

// Element paths whose value is always a JSON array, as a trie over JSON keys.
// A path is the keys from the root joined with '-', using the renamed keys
// (`domain-devices-_interface`), which is the format of upstream's arraylist.cfg.
class ArrayPaths {
 public:
  using NodeId = std::int32_t;
  static constexpr NodeId kNoNode = -1;

  ArrayPaths();  // forces nothing: plain BadgerFish arrays for repeated siblings only
  explicit ArrayPaths(std::span<const std::string_view> paths);
  // One path per line; blank lines and lines starting with '#' are skipped (arraylist.cfg).
  static ArrayPaths fromConfig(std::string_view text);

  // Trie walk for the converter: the root node's children are root element keys.
  NodeId root() const { return 0; }
  NodeId child(NodeId node, std::string_view key) const;
  bool isArray(NodeId node) const;

 private:
  void add(std::string_view path);

  struct Node {
    std::vector<std::pair<std::string, NodeId>> children;
    bool is_array = false;
  };
  std::vector<Node> nodes_;
};

// The paths of upstream core/utils/arraylist.cfg, compiled in.
const ArrayPaths& upstreamArrayPaths();

// Parses `xml` and returns {"<root>": {...}}. InvalidArgument if it is not well-formed XML with
// exactly one root element, or if it nests deeper than 256 elements.
util::Result<nlohmann::ordered_json> domainXmlToJson(
    std::string_view xml, const ArrayPaths& array_paths = upstreamArrayPaths());

// Writes the XML for {"<root>": {...}}, indented by two spaces. Children are written in
// `#order` if present, else in key order, so JSON whose keys come back sorted (from the API
// server) gives a document libvirt accepts with same-name siblings still in order.
// Integers and floats are written in the digits they hold, booleans as true/false.
// InvalidArgument, naming the JSON pointer, for shapes that are no XML: an array inside an
// array, an object or array as attribute value or text, a key that decodes to no XML name.
util::Result<std::string> jsonToDomainXml(const nlohmann::ordered_json& json);
util::Result<std::string> jsonToDomainXml(const nlohmann::json& json);

// A canonical text of `xml` for comparisons: parsed like domainXmlToJson parses, comments,
// PIs, declaration and whitespace-only text between elements dropped, CDATA written as escaped
// text, attributes double-quoted in document order, elements in document order, two-space
// indentation except inside mixed content, a final newline.
util::Result<std::string> canonicalizeXml(std::string_view xml);

}  // namespace univirt::virt
