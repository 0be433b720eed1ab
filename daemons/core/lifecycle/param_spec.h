#pragma once

// The parameter schema of one lifecycle operation and the typed values a validated request
// carries. Upstream clients send every value as a string ("memory": "1024"), a number or a
// boolean; validation turns each into the one type the table declares for it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/util/result.h"

namespace univirt::lifecycle {

enum class ParamType {
  String,       // any string; numbers and booleans are accepted and kept in their text form
  Integer,      // JSON integer or a string of decimal digits ("1024"); checked against min/max
  Boolean,      // true/false or "true"/"false" (any case); false means "flag not given"
  Path,         // absolute file path, normalised, under one of the configured path roots
  Unsupported,  // an upstream (virt-install/virsh) option univirt refuses with a clear message
};

std::string_view paramTypeName(ParamType type);

struct ValidationContext;
using ParamValue = std::variant<std::string, std::int64_t, bool>;

// Checks a compound value after its type check, e.g. a virt-install `disk` string whose
// `path=` must lie under the path roots. Returns the error message's reason part.
using ParamValidator =
    std::function<util::Status(const ParamValue& value, const ValidationContext& context)>;

struct ParamSpec {
  std::string name;  // spelled as upstream sends it: "os_variant", "bypass-cache"
  ParamType type = ParamType::String;
  bool required = false;
  std::vector<std::string> allowed = {};  // non-empty: the value must be one of these (String)
  std::optional<std::int64_t> min = std::nullopt;  // Integer bounds, inclusive
  std::optional<std::int64_t> max = std::nullopt;
  std::string help = {};
  ParamValidator validator = {};
};

// What validation needs from the daemon's configuration.
struct ValidationContext {
  std::vector<std::string> path_roots;  // absolute directories; Path values must be inside one
};

// The validated parameters of one request, in the order the request listed them.
class Params {
 public:
  void set(std::string name, ParamValue value);

  bool has(std::string_view name) const;
  const ParamValue* find(std::string_view name) const;

  // Typed accessors. A Boolean that is absent reads as false; the others return
  // `fallback` when absent. The table guarantees the stored type, so a mismatch is a bug.
  std::string string(std::string_view name, std::string_view fallback = {}) const;
  std::int64_t integer(std::string_view name, std::int64_t fallback = 0) const;
  bool flag(std::string_view name) const;

  const std::vector<std::pair<std::string, ParamValue>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, ParamValue>> entries_;
};

}  // namespace univirt::lifecycle
