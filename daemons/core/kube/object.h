#pragma once

// Objects are nlohmann::json as the API server sends them; these helpers read the metadata
// every caller needs without repeating null checks. ObjectKey is what work queues carry
// (style.md §7): a namespace/name pair, never the object itself.

#include <compare>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "core/util/result.h"

namespace univirt::kube {

using Object = nlohmann::json;

struct ObjectKey {
  std::string namespace_name;  // empty for cluster-scoped objects
  std::string name;

  // "ns/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
  std::string toString() const;
  static ObjectKey of(const Object& object);
  // Inverse of toString().
  static ObjectKey parse(std::string_view key);

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  auto operator<=>(const ObjectKey&) const = default;
};

// metadata fields; an absent field reads as empty.
std::string nameOf(const Object& object);
std::string namespaceOf(const Object& object);
std::string uidOf(const Object& object);
std::string resourceVersionOf(const Object& object);
std::string kindOf(const Object& object);
std::string apiVersionOf(const Object& object);
std::map<std::string, std::string> labelsOf(const Object& object);
// The label's value, or empty when absent.
std::string labelOf(const Object& object, std::string_view key);
std::string annotationOf(const Object& object, std::string_view key);
bool isBeingDeleted(const Object& object);

// Parses a response body; `what` names it in the error ("response to 'GET /api/v1/...'").
util::Result<Object> parseObject(std::string_view body, std::string_view what);

// RFC 3339 UTC with second precision, as the API server writes timestamps.
std::string formatTimestamp(util::Clock::WallTime time);
// RFC 3339 UTC with microseconds (metav1.MicroTime, used by events.k8s.io eventTime).
std::string formatMicroTimestamp(util::Clock::WallTime time);

}  // namespace univirt::kube
