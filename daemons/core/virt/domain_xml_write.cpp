#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "core/virt/detail/domain_xml_codec.h"
#include "core/virt/domain_xml.h"

// JSON -> XML. Writes straight into one string; the JSON pointer of a value is kept as a chain
// of stack frames and only rendered when an error names it.

namespace univirt::virt {
namespace {

using util::Error;
using util::ErrorCode;

// One step of a JSON pointer; the chain lives on the writer's call stack.
struct JsonPath {
  const JsonPath* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;
};

void appendPointer(std::string& out, const JsonPath* path) {
  if (path == nullptr) {
    return;
  }
  appendPointer(out, path->parent);
  out += '/';
  if (path->is_index) {
    out += std::to_string(path->index);
    return;
  }
  for (char c : path->key) {  // RFC 6901 escaping
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
}

std::string pointer(const JsonPath* path) {
  std::string out;
  appendPointer(out, path);
  return out.empty() ? std::string("/") : out;
}

Error shapeError(const JsonPath* path, std::string_view what) {
  return Error{ErrorCode::InvalidArgument, fmt::format("{}: {}", pointer(path), what)};
}

// The members of a JSON object. Iterating the map itself rather than through basic_json's
// iterators also keeps GCC's -Wnull-dereference quiet about those iterators.
template <typename Json>
const typename Json::object_t& membersOf(const Json& object) {
  return object.template get_ref<const typename Json::object_t&>();
}

Error nonCanonicalKeyError(const JsonPath* path, const detail::DecodedKey& decoded) {
  const bool attribute = decoded.kind == detail::KeyKind::Attribute;
  return shapeError(path, fmt::format("write the key of {} '{}' as '{}'",
                                      attribute ? "attribute" : "element", decoded.name,
                                      attribute ? detail::attributeKey(decoded.name)
                                                : detail::elementKey(decoded.name)));
}

template <typename Json>
class XmlWriter {
 public:
  std::string take() { return std::move(out_); }

  util::Status writeDocument(const Json& json) {
    if (!json.is_object() || json.size() != 1) {
      return shapeError(nullptr, "expected an object with exactly one key, the root element");
    }
    out_.reserve(4096);
    const auto& [root_key, root_value] = *membersOf(json).begin();
    JsonPath path{nullptr, root_key};
    detail::DecodedKey root = detail::decodeKey(root_key);
    if (root.kind != detail::KeyKind::Element) {
      return shapeError(&path, "expected the key of the root element");
    }
    if (!detail::isCanonicalKey(root_key, root)) {
      return nonCanonicalKeyError(&path, root);
    }
    if (root_value.is_array()) {
      return shapeError(&path, "expected an object, got an array (XML has one root element)");
    }
    if (auto status = writeElement(root.name, root_value, &path, 0, 1); !status) {
      return status;
    }
    out_ += '\n';
    return util::ok();
  }

 private:
  // Appends the XML text of a scalar; false if `value` is an object or array.
  bool appendScalar(const Json& value, bool attribute) {
    char buffer[24];
    std::string_view text;
    switch (value.type()) {
      case nlohmann::json::value_t::string:
        text = value.template get_ref<const typename Json::string_t&>();
        break;
      case nlohmann::json::value_t::number_integer: {
        auto result =
            std::to_chars(buffer, buffer + sizeof buffer, value.template get<std::int64_t>());
        text = std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer));
        break;
      }
      case nlohmann::json::value_t::number_unsigned: {
        auto result =
            std::to_chars(buffer, buffer + sizeof buffer, value.template get<std::uint64_t>());
        text = std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer));
        break;
      }
      case nlohmann::json::value_t::number_float: {
        const auto number = value.template get<double>();
        if (!std::isfinite(number)) {
          return false;
        }
        out_ += detail::formatDouble(number);  // digits only: nothing to escape
        return true;
      }
      case nlohmann::json::value_t::boolean:
        text = value.template get<bool>() ? "true" : "false";
        break;
      case nlohmann::json::value_t::null:
        break;
      default:
        return false;
    }
    if (attribute) {
      detail::appendEscapedAttribute(out_, text);
    } else {
      detail::appendEscapedText(out_, text);
    }
    return true;
  }

  static bool isScalar(const Json& value) { return !value.is_object() && !value.is_array(); }

  // True if the scalar writes no text (null or ""), so the element can be `<x/>`.
  static bool isEmptyScalar(const Json& value) {
    return value.is_null() ||
           (value.is_string() && value.template get_ref<const typename Json::string_t&>().empty());
  }

  void indent(int level) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(level) * 2, ' ');
  }

  // `level` < 0: inside mixed content, where added whitespace would become data.
  util::Status writeElement(std::string_view name, const Json& value, const JsonPath* path,
                            int level, unsigned depth) {
    if (depth > detail::kMaxDepth) {
      return shapeError(path, fmt::format("nests deeper than {} elements", detail::kMaxDepth));
    }
    if (!detail::isXmlName(name)) {
      return shapeError(path, fmt::format("key decodes to '{}', which is no XML name", name));
    }
    if (value.is_array()) {
      return shapeError(path, "expected an object, got an array inside an array");
    }
    out_ += '<';
    out_ += name;
    if (isScalar(value)) {
      if (isEmptyScalar(value)) {
        out_ += "/>";
        return util::ok();
      }
      out_ += '>';
      if (!appendScalar(value, false)) {
        return shapeError(path, "expected a finite number");
      }
      closeTag(name);
      return util::ok();
    }

    // Pass 1: attributes, and what the content holds.
    const Json* text = nullptr;
    const Json* order = nullptr;
    const Json* tails = nullptr;
    bool has_children = false;
    for (const auto& [key, member] : membersOf(value)) {
      detail::DecodedKey decoded = detail::decodeKey(key);
      JsonPath item_path{path, key};
      const bool named =
          decoded.kind == detail::KeyKind::Attribute || decoded.kind == detail::KeyKind::Element;
      if (named && !detail::isCanonicalKey(key, decoded)) {
        return nonCanonicalKeyError(&item_path, decoded);
      }
      switch (decoded.kind) {
        case detail::KeyKind::Attribute:
          if (auto status = writeAttribute(decoded.name, member, &item_path); !status) {
            return status;
          }
          break;
        case detail::KeyKind::Text:
          if (!isScalar(member)) {
            return shapeError(&item_path, "expected a string or number as element text");
          }
          text = &member;
          break;
        case detail::KeyKind::Order:
          order = &member;
          break;
        case detail::KeyKind::Tails:
          if (!member.is_array()) {
            return shapeError(&item_path, "expected an array of strings");
          }
          tails = &member;
          break;
        case detail::KeyKind::Element:
          has_children = true;
          break;
        case detail::KeyKind::Invalid:
          return shapeError(&item_path, "an empty key names no XML element or attribute");
      }
    }
    const bool has_text = text != nullptr && !isEmptyScalar(*text);
    const bool has_tails = tails != nullptr && !tails->empty();
    if (!has_text && !has_children && !has_tails) {
      out_ += "/>";
      return util::ok();
    }
    out_ += '>';
    if (has_text && !appendScalar(*text, false)) {
      JsonPath text_path{path, detail::kTextKey};
      return shapeError(&text_path, "expected a finite number");
    }
    const int child_level = (has_text || has_tails || level < 0) ? -1 : level + 1;
    ChildCursor cursor{path, tails, 0};
    if (order != nullptr) {
      if (auto status = writeChildrenInOrder(value, *order, path, child_level, depth, cursor);
          !status) {
        return status;
      }
    } else {
      for (const auto& [key, member] : membersOf(value)) {
        if (auto status = writeChildren(key, member, path, child_level, depth, cursor); !status) {
          return status;
        }
      }
    }
    if (tails != nullptr && tails->size() > cursor.written) {
      JsonPath tails_path{path, detail::kTailsKey};
      return shapeError(&tails_path,
                        fmt::format("has {} entries but the element has {} child elements",
                                    tails->size(), cursor.written));
    }
    if (child_level >= 0 && cursor.written > 0) {
      indent(level);
    }
    closeTag(name);
    return util::ok();
  }

  void closeTag(std::string_view name) {
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  util::Status writeAttribute(std::string_view name, const Json& value, const JsonPath* path) {
    if (!detail::isXmlName(name)) {
      return shapeError(path, fmt::format("key decodes to '{}', which is no XML name", name));
    }
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    if (!appendScalar(value, true)) {
      return shapeError(path, "expected a string or number as attribute value");
    }
    out_ += '"';
    return util::ok();
  }

  struct ChildCursor {
    const JsonPath* parent;  // the element whose children these are
    const Json* tails;
    std::size_t written;  // child elements written so far, the index into `#tails`
  };

  util::Status writeChild(std::string_view name, const Json& value, const JsonPath* path, int level,
                          unsigned depth, ChildCursor& cursor) {
    if (level >= 0) {
      indent(level);
    }
    if (auto status = writeElement(name, value, path, level, depth + 1); !status) {
      return status;
    }
    const std::size_t index = cursor.written++;
    if (cursor.tails == nullptr || index >= cursor.tails->size()) {
      return util::ok();
    }
    const Json& tail = (*cursor.tails)[index];
    if (!tail.is_string()) {
      JsonPath tails_path{cursor.parent, detail::kTailsKey};
      JsonPath tail_path{&tails_path, {}, index, true};
      return shapeError(&tail_path, "expected a string");
    }
    detail::appendEscapedText(out_, tail.template get_ref<const typename Json::string_t&>());
    return util::ok();
  }

  // All elements a key holds: one, or one per array item. Keys of other kinds write nothing.
  util::Status writeChildren(const std::string& key, const Json& value, const JsonPath* parent,
                             int level, unsigned depth, ChildCursor& cursor) {
    detail::DecodedKey decoded = detail::decodeKey(key);
    if (decoded.kind != detail::KeyKind::Element) {
      return util::ok();
    }
    JsonPath path{parent, key};
    if (!value.is_array()) {
      return writeChild(decoded.name, value, &path, level, depth, cursor);
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      JsonPath item_path{&path, {}, i, true};
      if (auto status = writeChild(decoded.name, value[i], &item_path, level, depth, cursor);
          !status) {
        return status;
      }
    }
    return util::ok();
  }

  // Item `index` of what `key` holds (the value itself when it is no array).
  util::Status writeMember(const std::string& key, const Json& member, std::size_t index,
                           const JsonPath* parent, int level, unsigned depth, ChildCursor& cursor) {
    JsonPath key_path{parent, key};
    if (!member.is_array()) {
      return writeChild(detail::decodeKey(key).name, member, &key_path, level, depth, cursor);
    }
    JsonPath item_path{&key_path, {}, index, true};
    return writeChild(detail::decodeKey(key).name, member[index], &item_path, level, depth, cursor);
  }

  // `#order` lists child keys in document order, one entry per element. It may be stale after
  // an edit: entries beyond what a key holds are skipped, elements it does not list follow in
  // key order.
  util::Status writeChildrenInOrder(const Json& value, const Json& order, const JsonPath* path,
                                    int level, unsigned depth, ChildCursor& cursor) {
    JsonPath order_path{path, detail::kOrderKey};
    if (!order.is_array()) {
      return shapeError(&order_path, "expected an array of child element keys");
    }
    const auto& members = membersOf(value);
    std::vector<std::pair<std::string_view, std::size_t>> used;  // key -> elements written
    used.reserve(order.size());
    const auto written = [&used](std::string_view key) -> std::size_t& {
      auto count = std::find_if(used.begin(), used.end(),
                                [key](const auto& seen) { return seen.first == key; });
      if (count != used.end()) {
        return count->second;
      }
      return used.emplace_back(key, 0).second;
    };
    for (std::size_t i = 0; i < order.size(); ++i) {
      JsonPath entry_path{&order_path, {}, i, true};
      const Json& entry = order[i];
      auto it = entry.is_string()
                    ? members.find(entry.template get_ref<const typename Json::string_t&>())
                    : members.end();
      if (it == members.end() || detail::decodeKey(it->first).kind != detail::KeyKind::Element) {
        return shapeError(&entry_path, "expected the key of a child element of this object");
      }
      const auto& [key, member] = *it;
      std::size_t& done = written(key);
      const std::size_t available = member.is_array() ? member.size() : 1;
      if (done >= available) {
        continue;
      }
      if (auto status = writeMember(key, member, done, path, level, depth, cursor); !status) {
        return status;
      }
      ++done;
    }
    // Elements `#order` does not account for.
    for (const auto& [key, member] : members) {
      if (detail::decodeKey(key).kind != detail::KeyKind::Element) {
        continue;
      }
      const std::size_t available = member.is_array() ? member.size() : 1;
      for (std::size_t i = written(key); i < available; ++i) {
        if (auto status = writeMember(key, member, i, path, level, depth, cursor); !status) {
          return status;
        }
      }
    }
    return util::ok();
  }

  std::string out_;
};

template <typename Json>
util::Result<std::string> writeXml(const Json& json) {
  XmlWriter<Json> writer;
  if (auto status = writer.writeDocument(json); !status) {
    return std::move(status).error();
  }
  return writer.take();
}

}  // namespace

util::Result<std::string> jsonToDomainXml(const nlohmann::ordered_json& json) {
  return writeXml(json);
}

util::Result<std::string> jsonToDomainXml(const nlohmann::json& json) { return writeXml(json); }

}  // namespace univirt::virt
