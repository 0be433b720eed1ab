#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/virt/detail/domain_xml_codec.h"
#include "core/virt/domain_xml.h"

// canonicalizeXml: one fixed text per document, so round-trip tests can compare bytes.
// It reads the document exactly as domainXmlToJson does (same parser options, same merging of
// adjacent text nodes), so a difference in its output is a difference the converter made.

namespace univirt::virt {
namespace {

using util::Error;
using util::ErrorCode;

class CanonicalWriter {
 public:
  std::string take() { return std::move(out_); }

  util::Status write(pugi::xml_node element, int level, unsigned depth) {
    if (depth > detail::kMaxDepth) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("XML nests deeper than {} elements", detail::kMaxDepth)};
    }
    out_ += '<';
    out_ += element.name();
    for (pugi::xml_attribute attribute : element.attributes()) {
      out_ += ' ';
      out_ += attribute.name();
      out_ += "=\"";
      detail::appendEscapedAttribute(out_, attribute.value());
      out_ += '"';
    }

    // Mixed content (text next to elements) is written without added whitespace.
    bool has_elements = false;
    for (pugi::xml_node child = element.first_child(); child; child = child.next_sibling()) {
      has_elements = has_elements || child.type() == pugi::node_element;
    }
    bool has_text = false;
    for (pugi::xml_node node = element.first_child();; node = node.next_sibling()) {
      has_text = has_text ||
                 !detail::textAsData(detail::collectText(node, scratch_), has_elements).empty();
      if (!node) {
        break;
      }
    }
    if (!has_elements && !has_text) {
      out_ += "/>";
      return util::ok();
    }
    out_ += '>';
    const int child_level = (has_text || level < 0) ? -1 : level + 1;
    pugi::xml_node node = element.first_child();
    while (true) {
      detail::appendEscapedText(
          out_, detail::textAsData(detail::collectText(node, scratch_), has_elements));
      if (!node) {
        break;
      }
      if (child_level >= 0) {
        indent(child_level);
      }
      if (auto status = write(node, child_level, depth + 1); !status) {
        return status;
      }
      node = node.next_sibling();
    }
    if (child_level >= 0 && has_elements) {
      indent(level);
    }
    out_ += "</";
    out_ += element.name();
    out_ += '>';
    return util::ok();
  }

 private:
  void indent(int level) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(level) * 2, ' ');
  }

  std::string out_;
  std::string scratch_;
};

}  // namespace

util::Result<std::string> canonicalizeXml(std::string_view xml) {
  pugi::xml_document doc;
  if (auto problem = detail::parseXml(xml, doc)) {
    return Error{ErrorCode::InvalidArgument, std::move(*problem)};
  }
  CanonicalWriter writer;
  if (auto status = writer.write(doc.document_element(), 0, 1); !status) {
    return std::move(status).error();
  }
  std::string out = writer.take();
  out += '\n';
  return out;
}

}  // namespace univirt::virt
