#include "core/lifecycle/request_marker.h"

#include <array>
#include <random>

#include <fmt/format.h>

namespace univirt::lifecycle {

std::string encodeMarker(const RequestMarker& marker) {
  const nlohmann::json json = {{"operation", marker.operation},
                               {"id", marker.id},
                               {"takenAt", marker.taken_at},
                               {"node", marker.node},
                               {"request", marker.request}};
  return json.dump();
}

util::Result<RequestMarker> decodeMarker(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("operation") ||
      !json["operation"].is_string() || !json.contains("id") || !json["id"].is_string()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("annotation '{}' is not a univirt request marker: '{}'",
                                   kOperationAnnotation, text)};
  }
  RequestMarker marker;
  marker.operation = json["operation"].get<std::string>();
  marker.id = json["id"].get<std::string>();
  marker.taken_at = json.value("takenAt", "");
  marker.node = json.value("node", "");
  marker.request = json.contains("request") ? json["request"] : nlohmann::json::object();
  return marker;
}

std::optional<util::Result<RequestMarker>> markerOf(const nlohmann::json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return std::nullopt;
  }
  const auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) {
    return std::nullopt;
  }
  const auto marker = annotations->find(std::string(kOperationAnnotation));
  if (marker == annotations->end()) {
    return std::nullopt;
  }
  if (!marker->is_string()) {
    return util::Result<RequestMarker>(
        util::Error{util::ErrorCode::InvalidArgument,
                    fmt::format("annotation '{}' is not a string", kOperationAnnotation)});
  }
  return decodeMarker(marker->get<std::string>());
}

std::string newRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t random = generator();
    for (std::size_t j = 0; j < 8; ++j) {
      bytes[i + j] = static_cast<std::uint8_t>(random >> (8 * j));
    }
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | 0x40U);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text += '-';
    }
    text += fmt::format("{:02x}", bytes[i]);
  }
  return text;
}

}  // namespace univirt::lifecycle
