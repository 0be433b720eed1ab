#include "kube-lite/protobuf_decode.h"

#include <string>

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

// Length-delimited protobuf field (all lengths here are < 128, so one length byte).
std::string field(int number, const std::string& payload) {
  return std::string(1, static_cast<char>(number << 3 | 2)) +
         std::string(1, static_cast<char>(payload.size())) + payload;
}

std::string envelope(const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, kind)) + field(2, raw);
}

TEST(ProtobufDecode, DecodesConfigMapWithMetadataAndData) {
  std::string meta = field(1, "c1") + field(2, "") + field(11, field(1, "app") + field(2, "x"));
  std::string raw = field(1, meta) + field(2, field(1, "a") + field(2, "b"));
  auto object = decodeProtobufObject(envelope("ConfigMap", raw));
  ASSERT_TRUE(object.has_value()) << object.error().message;
  EXPECT_EQ((*object)["apiVersion"], "v1");
  EXPECT_EQ((*object)["kind"], "ConfigMap");
  EXPECT_EQ((*object)["metadata"]["name"], "c1");
  EXPECT_FALSE((*object)["metadata"].contains("generateName"));
  EXPECT_EQ((*object)["metadata"]["labels"]["app"], "x");
  EXPECT_EQ((*object)["data"]["a"], "b");
}

TEST(ProtobufDecode, SecretDataBecomesBase64) {
  std::string raw = field(1, field(1, "s1")) + field(2, field(1, "p") + field(2, "secret"));
  auto object = decodeProtobufObject(envelope("Secret", raw));
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ((*object)["data"]["p"], "c2VjcmV0");
}

TEST(ProtobufDecode, RejectsUnknownKindsAndGarbage) {
  std::string pod = field(1, field(1, "p1")) + field(2, field(1, "x"));
  EXPECT_FALSE(decodeProtobufObject(envelope("Pod", pod)).has_value());
  EXPECT_FALSE(decodeProtobufObject("{\"json\":true}").has_value());
  EXPECT_FALSE(decodeProtobufObject(std::string("k8s\0\x0a\xff", 6)).has_value());
}

}  // namespace
}  // namespace univirt::kubelite
