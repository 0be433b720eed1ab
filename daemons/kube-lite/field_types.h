#pragma once

// FieldType: what kube-lite knows about the type at one place in an object — the part of a
// schema that decides how server-side apply merges maps and lists and how field ownership is
// spelled (structured-merge-diff's schema, reduced to what kube-lite has):
// - custom resources follow their CRD's openAPIV3Schema: `properties` are named fields,
//   `x-kubernetes-list-type: map|set` with `x-kubernetes-list-map-keys` make associative lists,
//   any other list is atomic, `x-kubernetes-map-type: atomic` makes an atomic map; places the
//   schema leaves open (x-kubernetes-preserve-unknown-fields) are "deduced": maps merge field by
//   field, lists are atomic;
// - built-in kinds and every object's metadata use the merge keys kube-apiserver declares for the
//   list fields kube-lite serves (containers by name, ports by port and protocol, finalizers as a
//   set, ...); other lists are atomic.
// A FieldType points into the ResourceType's schema, which must outlive it.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/resource_type.h"

namespace univirt::kubelite {

enum class ListKind { Atomic, Set, Map };

struct ListRule {
  ListKind kind = ListKind::Atomic;
  std::vector<std::string> keys;                           // Map: the key fields
  nlohmann::json key_defaults = nlohmann::json::object();  // Map: values of omitted keys
};

class FieldType {
 public:
  static FieldType forResource(const ResourceType& type);
  static FieldType builtin();
  static FieldType fromSchema(const nlohmann::json& schema);

  FieldType field(const std::string& name) const;
  FieldType item() const;
  // True for a named field of a struct, false for a key of a map (whose entries are members of
  // a field set even when they hold objects).
  bool declares(const std::string& name) const;
  bool atomicMap() const;
  // How the list(s) at this place merge. An associative list whose items lack a key or repeat
  // one, and a set holding objects, are treated as atomic. Pass both sides of a comparison or
  // merge so they are read the same way.
  ListRule listRule(const nlohmann::json* lhs, const nlohmann::json* rhs = nullptr) const;

  // The path element of a list item under an associative rule: k:{...} or v:....
  static std::string itemElement(const ListRule& rule, const nlohmann::json& item);

 private:
  enum class Mode { Schema, Builtin, Deduced };

  ListRule declaredRule(const nlohmann::json* sample) const;

  Mode mode_ = Mode::Deduced;
  const nlohmann::json* schema_ = nullptr;  // Schema mode
  std::string name_;                        // Builtin mode: the field holding this value
  bool root_ = false;
};

}  // namespace univirt::kubelite
