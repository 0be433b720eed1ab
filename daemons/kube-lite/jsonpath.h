#pragma once

// The JSONPath subset CRD printer columns and selectable fields use: `.a.b`, `.a[0].b`,
// `.a['x.y']`, `.a["x"]`, optionally wrapped in `{...}`. Evaluates to the node or nothing.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kubelite {

class JsonPath {
 public:
  static util::Result<JsonPath> parse(std::string_view text);

  // The node at the path, or nullopt when any step is missing.
  std::optional<nlohmann::json> evaluate(const nlohmann::json& root) const;

 private:
  struct Step {
    std::string key;  // object member, used when index < 0
    long index = -1;
  };
  std::vector<Step> steps_;
};

}  // namespace univirt::kubelite
