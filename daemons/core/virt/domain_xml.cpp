#include "core/virt/domain_xml.h"

#include <cstring>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/virt/detail/domain_xml_codec.h"

// XML -> JSON. One recursive pass over the pugixml tree; keys are built once per element,
// values are converted in place in their final slot, so nothing is copied after it is built.

namespace univirt::virt {
namespace {

using nlohmann::ordered_json;
using util::Error;
using util::ErrorCode;

ordered_json scalarValue(std::string_view text) {
  detail::Scalar scalar = detail::classifyScalar(text);
  switch (scalar.kind) {
    case detail::ScalarKind::Integer:
      return scalar.integer;
    case detail::ScalarKind::Float:
      return scalar.floating;
    case detail::ScalarKind::String:
      break;
  }
  return std::string(text);
}

bool hasTwoNames(pugi::xml_node element) {
  const char* first = nullptr;
  for (pugi::xml_node child = element.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (first == nullptr) {
      first = child.name();
    } else if (std::strcmp(first, child.name()) != 0) {
      return true;
    }
  }
  return false;
}

// Keys an element's object gets at most (attributes, text, one per child element), so the
// object's vector is allocated once.
std::size_t memberCountBound(pugi::xml_node element) {
  std::size_t count = 1;
  for (pugi::xml_attribute attribute = element.first_attribute(); attribute;
       attribute = attribute.next_attribute()) {
    ++count;
  }
  for (pugi::xml_node child = element.first_child(); child; child = child.next_sibling()) {
    ++count;
  }
  return count;
}

class JsonBuilder {
 public:
  explicit JsonBuilder(const ArrayPaths& paths) : paths_(paths) {}

  util::Status convert(pugi::xml_node element, ArrayPaths::NodeId trie, unsigned depth,
                       ordered_json& out) {
    if (depth > detail::kMaxDepth) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("XML nests deeper than {} elements", detail::kMaxDepth)};
    }
    out = ordered_json::object();
    auto& members = out.get_ref<ordered_json::object_t&>();
    members.reserve(memberCountBound(element));
    for (pugi::xml_attribute attribute : element.attributes()) {
      auto [it, inserted] =
          members.emplace(detail::attributeKey(attribute.name()), scalarValue(attribute.value()));
      if (!inserted) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("XML element '{}' has attribute '{}' twice", element.name(),
                                 attribute.name())};
      }
    }

    pugi::xml_node node = element.first_child();
    std::string_view leading = detail::collectText(node, scratch_);
    leading = detail::textAsData(leading, static_cast<bool>(node));
    if (!leading.empty()) {
      members.emplace(std::string(detail::kTextKey), scalarValue(leading));
    }

    const char* previous_name = nullptr;
    bool needs_order = false;
    std::size_t child_count = 0;
    ordered_json tails;  // null until some child has text after it
    for (; node; ++child_count) {
      const char* name = node.name();
      std::string key = detail::elementKey(name);
      const ArrayPaths::NodeId child_trie = paths_.child(trie, key);
      auto it = members.find(key);
      ordered_json* slot = nullptr;
      if (it == members.end()) {
        ordered_json& value = members.emplace(key, ordered_json()).first->second;
        if (paths_.isArray(child_trie)) {
          value = ordered_json::array();
          value.push_back(ordered_json::object());
          slot = &value.back();
        } else {
          slot = &value;
        }
      } else {
        // Same-name siblings interleaved with others: the grouped arrays alone lose the order.
        if (previous_name != nullptr && std::strcmp(previous_name, name) != 0) {
          needs_order = true;
        }
        ordered_json& value = it->second;
        if (!value.is_array()) {
          ordered_json first = std::move(value);
          value = ordered_json::array();
          value.push_back(std::move(first));
        }
        value.push_back(ordered_json::object());
        slot = &value.back();
      }
      if (auto status = convert(node, child_trie, depth + 1, *slot); !status) {
        return status;
      }
      previous_name = name;

      node = node.next_sibling();
      std::string_view tail = detail::textAsData(detail::collectText(node, scratch_), true);
      if (!tail.empty()) {
        if (tails.is_null()) {
          tails = ordered_json::array();
        }
        while (tails.size() < child_count) {
          tails.push_back("");
        }
        tails.push_back(std::string(tail));
      }
    }

    // Tails belong to positions; if the keys get sorted (the API server sorts them) only
    // `#order` puts them back in place, so mixed content with several names carries it too.
    if (!needs_order && !tails.is_null()) {
      needs_order = hasTwoNames(element);
    }
    if (needs_order) {
      ordered_json& order = out[std::string(detail::kOrderKey)];
      order = ordered_json::array();
      for (pugi::xml_node child : element.children()) {
        if (child.type() == pugi::node_element) {
          order.push_back(detail::elementKey(child.name()));
        }
      }
    }
    if (!tails.is_null()) {
      out[std::string(detail::kTailsKey)] = std::move(tails);
    }
    return util::ok();
  }

 private:
  const ArrayPaths& paths_;
  std::string scratch_;  // text split over several nodes (CDATA next to PCDATA)
};

}  // namespace

util::Result<ordered_json> domainXmlToJson(std::string_view xml, const ArrayPaths& array_paths) {
  pugi::xml_document doc;
  if (auto problem = detail::parseXml(xml, doc)) {
    return Error{ErrorCode::InvalidArgument, std::move(*problem)};
  }
  pugi::xml_node root = doc.document_element();
  std::string key = detail::elementKey(root.name());
  ArrayPaths::NodeId trie = array_paths.child(array_paths.root(), key);

  ordered_json result = ordered_json::object();
  ordered_json& body = result[key];
  JsonBuilder builder(array_paths);
  if (auto status = builder.convert(root, trie, 1, body); !status) {
    return std::move(status).error();
  }
  return result;
}

}  // namespace univirt::virt
