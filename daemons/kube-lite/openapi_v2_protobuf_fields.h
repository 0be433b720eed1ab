#pragma once

// The table-driven half of the /openapi/v2 protobuf encoder (openapi_v2_protobuf.h): writes the
// keys of one JSON object as the fields of a protobuf message from a table of (JSON key, field
// number, kind), vendor extensions ("x-…") as gnostic NamedAny, and remembers the first value it
// cannot encode, named by its JSON pointer. Which tables make up gnostic's openapi.v2.Document,
// and how the nested messages are walked, is openapi_v2_protobuf.cpp's.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "kube-lite/protobuf_writer.h"

namespace univirt::kubelite {

// How a JSON value becomes a field. Any: gnostic's Any{yaml}, the value as JSON text.
enum class ProtoFieldKind { String, Bool, Int64, Double, Any, StringList, AnyList };

struct ProtoField {
  std::string_view key;  // the JSON key
  int number;            // the protobuf field number
  ProtoFieldKind kind;
};

// RFC 6901 escaping of one JSON pointer segment.
std::string pointerSegment(const std::string& key);

class ProtoFieldEncoder {
 public:
  // Encodes a key the table does not know: returns false when it does not know it either.
  using Custom = std::function<bool(ProtobufWriter& out, const std::string& key,
                                    const nlohmann::json& value, const std::string& where)>;

  // Writes the keys of `object` found in `table`, "x-" keys as NamedAny to field `vendor` (0:
  // none allowed) and every other key through `custom`; a key none of them takes is an error.
  void fields(ProtobufWriter& out, const nlohmann::json& object, std::span<const ProtoField> table,
              int vendor, const std::string& where, const Custom& custom = nullptr);
  // Writes one value as `field`, leaving out proto3 defaults (0, false, "").
  void scalar(ProtobufWriter& out, const ProtoField& field, const nlohmann::json& value,
              const std::string& where);
  // Records an error at JSON pointer `where` unless one is recorded already.
  void fail(const std::string& where, const std::string& what);

  // The first error, if any: the encoded bytes are then incomplete.
  const std::optional<util::Error>& error() const { return error_; }

 private:
  std::optional<util::Error> error_;
};

}  // namespace univirt::kubelite
