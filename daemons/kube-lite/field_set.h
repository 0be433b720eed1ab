#pragma once

// FieldSet: a set of paths into an object, in the form kube-apiserver keeps field ownership
// (metadata.managedFields[].fieldsV1, structured-merge-diff's fieldpath.Set). A path is a list
// of path elements, each spelled as its FieldsV1 key:
//   "f:<name>"                 a field of a map                      f:spec
//   "k:<json object of keys>"  an item of an associative list        k:{"name":"nginx"}
//   "v:<json value>"           an item of a set list                 v:"example.com/hold"
//   "i:<index>"                an item of a list by position         i:0
// A node is a member when the path ending at it is in the set; FieldsV1 writes a member that
// also has children as the extra key "." ({"f:labels":{".":{},"f:app":{}}}).
// The set operations are structured-merge-diff's: exact per path, never implied by a prefix
// (minusRecursive is the one that drops whole subtrees).

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kubelite {

using FieldPath = std::vector<std::string>;

// Path elements in structured-merge-diff's order: fields, then keys, then values, then indexes.
struct PathElementLess {
  bool operator()(const std::string& lhs, const std::string& rhs) const;
};

class FieldSet {
 public:
  using Children = std::map<std::string, FieldSet, PathElementLess>;

  // True when no path at all is a member.
  bool empty() const;
  bool has(const FieldPath& path) const;
  void insert(const FieldPath& path);

  // The node for the empty path and its direct children, for walkers.
  bool isMember() const { return member_; }
  void setMember(bool member) { member_ = member; }
  const FieldSet* child(const std::string& element) const;
  FieldSet& childAt(const std::string& element) { return children_[element]; }
  const Children& children() const { return children_; }
  void eraseChild(const std::string& element) { children_.erase(element); }
  // Drops child nodes that hold no member (left behind by walkers that build a set node by node).
  void compact();

  FieldSet unite(const FieldSet& other) const;
  FieldSet intersect(const FieldSet& other) const;
  FieldSet minus(const FieldSet& other) const;
  // Also drops every path below a member of `other` (fieldpath.Set.RecursiveDifference).
  FieldSet minusRecursive(const FieldSet& other) const;

  // Every member path, in structured-merge-diff's order.
  std::vector<FieldPath> paths() const;

  nlohmann::json toFieldsV1() const;
  static util::Result<FieldSet> fromFieldsV1(const nlohmann::json& fields);

  bool operator==(const FieldSet& other) const;

 private:
  void collectPaths(FieldPath& prefix, std::vector<FieldPath>& out) const;

  bool member_ = false;
  Children children_;
};

// How kube-apiserver prints a path in conflict messages: `.spec.containers[name="nginx"].image`,
// `.metadata.finalizers[="x"]`, `.spec.items[0]`.
std::string formatFieldPath(const FieldPath& path);

}  // namespace univirt::kubelite
