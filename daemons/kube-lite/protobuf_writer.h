#pragma once

// ProtobufWriter: the encoding half of the protobuf wire format, for the one message family
// kube-lite emits (gnostic's openapi.v2.Document, openapi_v2_protobuf.h). It writes fields
// as they are given; proto3's rule that default values (0, false, "") are left out is the
// caller's, except for oneof members, which proto3 always writes.

#include <cstdint>
#include <string>
#include <string_view>

namespace univirt::kubelite {

class ProtobufWriter {
 public:
  void varintField(int number, uint64_t value);
  void boolField(int number, bool value) { varintField(number, value ? 1 : 0); }
  // int64 is a varint of the two's-complement value (negative numbers take ten bytes).
  void int64Field(int number, int64_t value) { varintField(number, static_cast<uint64_t>(value)); }
  // double is wire type 1: eight little-endian bytes of the IEEE-754 value.
  void doubleField(int number, double value);
  // string, bytes and embedded messages are wire type 2: length, then the bytes.
  void bytesField(int number, std::string_view value);
  void messageField(int number, const ProtobufWriter& message) {
    bytesField(number, message.bytes());
  }

  const std::string& bytes() const { return out_; }
  bool empty() const { return out_.empty(); }

 private:
  void tag(int number, int wire_type);
  void varint(uint64_t value);

  std::string out_;
};

}  // namespace univirt::kubelite
