#include "kube-lite/protobuf_writer.h"

#include <bit>

namespace univirt::kubelite {

namespace {

constexpr int kWireVarint = 0;
constexpr int kWireFixed64 = 1;
constexpr int kWireLengthDelimited = 2;

}  // namespace

void ProtobufWriter::varint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ProtobufWriter::tag(int number, int wire_type) {
  varint(static_cast<uint64_t>(number) << 3 | static_cast<uint64_t>(wire_type));
}

void ProtobufWriter::varintField(int number, uint64_t value) {
  tag(number, kWireVarint);
  varint(value);
}

void ProtobufWriter::doubleField(int number, double value) {
  tag(number, kWireFixed64);
  auto bits = std::bit_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    out_.push_back(static_cast<char>(bits >> (8 * i) & 0xff));
  }
}

void ProtobufWriter::bytesField(int number, std::string_view value) {
  tag(number, kWireLengthDelimited);
  varint(value.size());
  out_.append(value);
}

}  // namespace univirt::kubelite
