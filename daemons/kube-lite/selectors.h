#pragma once

// Label and field selectors as kube-apiserver parses them (kube-api-semantics.md §2.7, §2.8).
// A parse error is a Result error whose message becomes a 400 BadRequest.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kubelite {

enum class LabelOp { Equals, NotEquals, In, NotIn, Exists, DoesNotExist, GreaterThan, LessThan };

struct LabelRequirement {
  std::string key;
  LabelOp op = LabelOp::Exists;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  static util::Result<LabelSelector> parse(std::string_view text);

  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;
};

struct FieldRequirement {
  std::string field;  // metadata.name
  bool negated = false;
  std::string value;
};

class FieldSelector {
 public:
  // `supported` lists the fields the resource allows; anything else is
  // "field label not supported: <f>".
  static util::Result<FieldSelector> parse(std::string_view text,
                                           const std::set<std::string>& supported);

  bool matches(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }
  // The value of a `metadata.name=X` requirement, if there is one (lets a get-by-name skip a scan).
  const std::string* exactName() const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// Reads a dotted field path ("spec.color") as the string a field selector compares against.
std::string fieldValue(const nlohmann::json& object, std::string_view dotted_path);

}  // namespace univirt::kubelite
