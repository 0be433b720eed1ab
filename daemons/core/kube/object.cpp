#include "core/kube/object.h"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace univirt::kube {
namespace {

std::string metadataString(const Object& object, std::string_view key) {
  if (!object.is_object()) {
    return {};
  }
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  auto value = metadata->find(key);
  if (value == metadata->end() || !value->is_string()) {
    return {};
  }
  return value->get<std::string>();
}

std::string mapEntry(const Object& object, std::string_view map, std::string_view key) {
  if (!object.is_object()) {
    return {};
  }
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  auto entries = metadata->find(map);
  if (entries == metadata->end() || !entries->is_object()) {
    return {};
  }
  auto value = entries->find(key);
  if (value == entries->end() || !value->is_string()) {
    return {};
  }
  return value->get<std::string>();
}

std::string topString(const Object& object, std::string_view key) {
  if (!object.is_object()) {
    return {};
  }
  auto value = object.find(key);
  return value != object.end() && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

std::string ObjectKey::toString() const {
  return namespace_name.empty() ? name : namespace_name + "/" + name;
}

ObjectKey ObjectKey::of(const Object& object) {
  return ObjectKey{namespaceOf(object), nameOf(object)};
}

ObjectKey ObjectKey::parse(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    return ObjectKey{{}, std::string(key)};
  }
  return ObjectKey{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::string nameOf(const Object& object) { return metadataString(object, "name"); }
std::string namespaceOf(const Object& object) { return metadataString(object, "namespace"); }
std::string uidOf(const Object& object) { return metadataString(object, "uid"); }
std::string resourceVersionOf(const Object& object) {
  return metadataString(object, "resourceVersion");
}
std::string kindOf(const Object& object) { return topString(object, "kind"); }
std::string apiVersionOf(const Object& object) { return topString(object, "apiVersion"); }

std::map<std::string, std::string> labelsOf(const Object& object) {
  std::map<std::string, std::string> labels;
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return labels;
  }
  auto it = object["metadata"].find("labels");
  if (it == object["metadata"].end() || !it->is_object()) {
    return labels;
  }
  for (const auto& [key, value] : it->items()) {
    if (value.is_string()) {
      labels.emplace(key, value.get<std::string>());
    }
  }
  return labels;
}

std::string labelOf(const Object& object, std::string_view key) {
  return mapEntry(object, "labels", key);
}

std::string annotationOf(const Object& object, std::string_view key) {
  return mapEntry(object, "annotations", key);
}

bool isBeingDeleted(const Object& object) {
  return !metadataString(object, "deletionTimestamp").empty();
}

util::Result<Object> parseObject(std::string_view body, std::string_view what) {
  // The non-throwing parse: a malformed body is the server's problem, not a crash.
  Object parsed = Object::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return util::Error{
        util::ErrorCode::Internal,
        fmt::format("{} is not valid JSON (first bytes: '{}')", what, body.substr(0, 80))};
  }
  return parsed;
}

std::string formatTimestamp(util::Clock::WallTime time) {
  return fmt::format("{:%FT%TZ}", std::chrono::floor<std::chrono::seconds>(time));
}

std::string formatMicroTimestamp(util::Clock::WallTime time) {
  // fmt 9 prints no sub-second digits for time points, so the fraction is added by hand.
  auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time - seconds).count();
  return fmt::format("{:%FT%T}.{:06d}Z", seconds, micros);
}

}  // namespace univirt::kube
