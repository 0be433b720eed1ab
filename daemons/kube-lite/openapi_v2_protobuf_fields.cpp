#include "kube-lite/openapi_v2_protobuf_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

// A JSON value as gnostic's Any.yaml holds it. JSON is YAML; yaml.Marshal ends with a newline.
std::string yamlText(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

ProtobufWriter anyMessage(const json& value) {
  ProtobufWriter out;
  out.bytesField(2, yamlText(value));  // Any.yaml
  return out;
}

}  // namespace

std::string pointerSegment(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

void ProtoFieldEncoder::fail(const std::string& where, const std::string& what) {
  if (!error_) {
    error_ = util::Error{util::ErrorCode::Internal,
                         fmt::format("the OpenAPI v2 document cannot be encoded as protobuf: {} at "
                                     "'{}'",
                                     what, where.empty() ? "/" : where)};
  }
}

void ProtoFieldEncoder::scalar(ProtobufWriter& out, const ProtoField& field, const json& value,
                               const std::string& where) {
  switch (field.kind) {
    case ProtoFieldKind::String:
      if (!value.is_string()) {
        fail(where, "expected a string");
      } else if (!value.get_ref<const std::string&>().empty()) {
        out.bytesField(field.number, value.get_ref<const std::string&>());
      }
      return;
    case ProtoFieldKind::Bool:
      if (!value.is_boolean()) {
        fail(where, "expected a boolean");
      } else if (value.get<bool>()) {
        out.boolField(field.number, true);
      }
      return;
    case ProtoFieldKind::Int64:
      if (!value.is_number() || std::trunc(value.get<double>()) != value.get<double>()) {
        fail(where, "expected an integer");
      } else if (value.get<int64_t>() != 0) {
        out.int64Field(field.number, value.get<int64_t>());
      }
      return;
    case ProtoFieldKind::Double:
      if (!value.is_number()) {
        fail(where, "expected a number");
      } else if (value.get<double>() != 0) {
        out.doubleField(field.number, value.get<double>());
      }
      return;
    case ProtoFieldKind::Any:
      out.messageField(field.number, anyMessage(value));
      return;
    case ProtoFieldKind::StringList:
    case ProtoFieldKind::AnyList:
      if (!value.is_array()) {
        fail(where, "expected an array");
        return;
      }
      for (const auto& item : value) {
        if (field.kind == ProtoFieldKind::AnyList) {
          out.messageField(field.number, anyMessage(item));
        } else if (!item.is_string()) {
          fail(where, "expected an array of strings");
        } else {
          out.bytesField(field.number, item.get_ref<const std::string&>());
        }
      }
      return;
  }
}

void ProtoFieldEncoder::fields(ProtobufWriter& out, const json& object,
                               std::span<const ProtoField> table, int vendor,
                               const std::string& where, const Custom& custom) {
  if (!object.is_object()) {
    fail(where, "expected an object");
    return;
  }
  for (const auto& [key, value] : object.items()) {
    std::string at = where + "/" + pointerSegment(key);
    auto known = std::find_if(table.begin(), table.end(),
                              [&key = key](const ProtoField& field) { return field.key == key; });
    if (known != table.end()) {
      scalar(out, *known, value, at);
      continue;
    }
    if (vendor != 0 && key.rfind("x-", 0) == 0) {
      ProtobufWriter named;  // NamedAny
      named.bytesField(1, key);
      named.messageField(2, anyMessage(value));
      out.messageField(vendor, named);
      continue;
    }
    if (!custom || !custom(out, key, value, at)) {
      fail(at, "unsupported key");
    }
  }
}

}  // namespace univirt::kubelite
