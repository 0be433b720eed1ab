#include "kube-lite/protobuf_decode.h"

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include <Poco/Base64Encoder.h>
#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;
using util::Error;
using util::ErrorCode;

namespace {

constexpr std::string_view kMagic("k8s\0", 4);

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Reads protobuf fields one by one; stops (ok() false) on malformed input.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool next(Field& field) {
    if (pos_ >= data_.size() || failed_) {
      return false;
    }
    auto key = varint();
    if (!key) {
      return fail();
    }
    field.number = static_cast<uint32_t>(*key >> 3);
    field.wire = static_cast<uint32_t>(*key & 7);
    field.bytes = {};
    field.varint = 0;
    switch (field.wire) {
      case 0: {
        auto value = varint();
        if (!value) {
          return fail();
        }
        field.varint = *value;
        return true;
      }
      case 1:
      case 5: {
        size_t size = field.wire == 1 ? 8 : 4;
        if (data_.size() - pos_ < size) {
          return fail();
        }
        pos_ += size;
        return true;
      }
      case 2: {
        auto length = varint();
        if (!length || data_.size() - pos_ < *length) {
          return fail();
        }
        field.bytes = data_.substr(pos_, static_cast<size_t>(*length));
        pos_ += static_cast<size_t>(*length);
        return true;
      }
      default:
        return fail();
    }
  }
  bool ok() const { return !failed_; }

 private:
  std::optional<uint64_t> varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        return value;
      }
    }
    return std::nullopt;
  }
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

std::string base64(std::string_view data) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(data.data(), static_cast<std::streamsize>(data.size()));
  encoder.close();
  return out.str();
}

// map<string, string|bytes> entry: key = 1, value = 2.
void mapEntry(std::string_view entry, json& target, bool bytes_value) {
  Reader reader(entry);
  Field field;
  std::string key;
  std::string value;
  while (reader.next(field)) {
    if (field.number == 1) {
      key = std::string(field.bytes);
    } else if (field.number == 2) {
      value = std::string(field.bytes);
    }
  }
  target[key] = bytes_value ? base64(value) : value;
}

json objectMeta(std::string_view data) {
  json meta = json::object();
  Reader reader(data);
  Field field;
  while (reader.next(field)) {
    // Go's generated code writes empty strings too; an empty string means "unset".
    if (field.wire == 2 && field.bytes.empty()) {
      continue;
    }
    switch (field.number) {
      case 1:
        meta["name"] = std::string(field.bytes);
        break;
      case 2:
        meta["generateName"] = std::string(field.bytes);
        break;
      case 3:
        meta["namespace"] = std::string(field.bytes);
        break;
      case 11:
        mapEntry(field.bytes, meta["labels"], false);
        break;
      case 12:
        mapEntry(field.bytes, meta["annotations"], false);
        break;
      case 14:
        meta["finalizers"].push_back(std::string(field.bytes));
        break;
      default:
        break;  // server-owned or unused by the create commands
    }
  }
  return meta;
}

std::optional<json> decodeKind(const std::string& kind, std::string_view raw) {
  json object = json::object();
  Reader reader(raw);
  Field field;
  while (reader.next(field)) {
    if (field.number == 1 && field.wire == 2) {
      object["metadata"] = objectMeta(field.bytes);
      continue;
    }
    if (kind == "ConfigMap") {
      if (field.number == 2) {
        mapEntry(field.bytes, object["data"], false);
      } else if (field.number == 3) {
        mapEntry(field.bytes, object["binaryData"], true);
      } else if (field.number == 4) {
        object["immutable"] = field.varint != 0;
      }
    } else if (kind == "Secret") {
      if (field.number == 2) {
        mapEntry(field.bytes, object["data"], true);
      } else if (field.number == 3 && !field.bytes.empty()) {
        object["type"] = std::string(field.bytes);
      } else if (field.number == 4) {
        mapEntry(field.bytes, object["stringData"], false);
      } else if (field.number == 5) {
        object["immutable"] = field.varint != 0;
      }
    } else if (kind == "Namespace") {
      if (field.number == 2) {
        Reader spec(field.bytes);
        Field finalizer;
        json finalizers = json::array();
        while (spec.next(finalizer)) {
          if (finalizer.number == 1) {
            finalizers.push_back(std::string(finalizer.bytes));
          }
        }
        if (!finalizers.empty()) {
          object["spec"]["finalizers"] = finalizers;
        }
      }
    } else {
      return std::nullopt;
    }
  }
  if (!reader.ok()) {
    return std::nullopt;
  }
  return object;
}

}  // namespace

util::Result<json> decodeProtobufObject(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return Error{ErrorCode::InvalidArgument, "the protobuf body lacks the 'k8s' envelope"};
  }
  Reader envelope(body.substr(kMagic.size()));
  Field field;
  std::string api_version;
  std::string kind;
  std::string_view raw;
  while (envelope.next(field)) {
    if (field.number == 1) {  // TypeMeta
      Reader type_meta(field.bytes);
      Field part;
      while (type_meta.next(part)) {
        if (part.number == 1) {
          api_version = std::string(part.bytes);
        } else if (part.number == 2) {
          kind = std::string(part.bytes);
        }
      }
    } else if (field.number == 2) {
      raw = field.bytes;
    }
  }
  if (!envelope.ok() || api_version != "v1") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("protobuf bodies of '{}' '{}' are not supported", api_version, kind)};
  }
  auto object = decodeKind(kind, raw);
  if (!object) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("protobuf bodies of kind '{}' are not supported", kind)};
  }
  (*object)["apiVersion"] = api_version;
  (*object)["kind"] = kind;
  return std::move(*object);
}

}  // namespace univirt::kubelite
