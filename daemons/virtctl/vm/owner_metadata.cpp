#include "virtctl/vm/owner_metadata.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace univirt::virtctl::vm {
namespace {

// The local part of a possibly prefixed element name: "univirt:owner" → "owner".
std::string_view localName(const char* name) {
  std::string_view view(name);
  const auto colon = view.find(':');
  return colon == std::string_view::npos ? view : view.substr(colon + 1);
}

void appendVmElement(pugi::xml_node parent, const VmMetadata& metadata) {
  const std::string prefix = kMetadataPrefix;
  pugi::xml_node root = parent.append_child((prefix + ":vm").c_str());
  root.append_attribute(("xmlns:" + prefix).c_str()) = kMetadataUri;
  root.append_child((prefix + ":owner").c_str())
      .append_attribute("namespace")
      .set_value(metadata.owner_namespace.c_str());
  if (!metadata.os_variant.empty()) {
    root.append_child((prefix + ":install").c_str())
        .append_attribute("osVariant")
        .set_value(metadata.os_variant.c_str());
  }
}

std::string print(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "  ", pugi::format_indent | pugi::format_no_declaration);
  return out.str();
}

}  // namespace

std::string renderVmMetadata(const VmMetadata& metadata) {
  pugi::xml_document doc;
  appendVmElement(doc, metadata);
  return print(doc);
}

std::optional<VmMetadata> parseVmMetadata(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    return std::nullopt;
  }
  const pugi::xml_node root = doc.document_element();
  if (localName(root.name()) != "vm") {
    return std::nullopt;
  }
  VmMetadata metadata;
  bool has_owner = false;
  for (const pugi::xml_node child : root.children()) {
    if (localName(child.name()) == "owner") {
      metadata.owner_namespace = child.attribute("namespace").value();
      has_owner = !metadata.owner_namespace.empty();
    } else if (localName(child.name()) == "install") {
      metadata.os_variant = child.attribute("osVariant").value();
    }
  }
  if (!has_owner) {
    return std::nullopt;
  }
  return metadata;
}

std::optional<std::string> withVmMetadata(std::string_view domain_xml, const VmMetadata& metadata) {
  pugi::xml_document doc;
  if (!doc.load_buffer(domain_xml.data(), domain_xml.size())) {
    return std::nullopt;
  }
  pugi::xml_node domain = doc.document_element();
  if (std::string_view(domain.name()) != "domain") {
    return std::nullopt;
  }
  pugi::xml_node container = domain.child("metadata");
  if (!container) {
    // libvirt writes <metadata> after <name>, <uuid>, <title> and <description>.
    pugi::xml_node after = domain.child("name");
    for (const char* name : {"uuid", "genid", "title", "description"}) {
      if (pugi::xml_node found = domain.child(name)) {
        after = found;
      }
    }
    container =
        after ? domain.insert_child_after("metadata", after) : domain.prepend_child("metadata");
  }
  // Drop an earlier univirt element (any prefix) so the domain carries exactly one.
  for (pugi::xml_node child = container.first_child(); child;) {
    pugi::xml_node next = child.next_sibling();
    for (const pugi::xml_attribute attribute : child.attributes()) {
      if (std::string_view(attribute.name()).starts_with("xmlns") &&
          std::string_view(attribute.value()) == kMetadataUri) {
        container.remove_child(child);
        break;
      }
    }
    child = next;
  }
  appendVmElement(container, metadata);
  return print(doc);
}

}  // namespace univirt::virtctl::vm
