#pragma once

// The structured-merge-diff operations server-side apply is built from, on JSON values typed
// by a FieldType (sigs.k8s.io/structured-merge-diff typed.TypedValue, reduced):
// - fieldSetOf: the fields a value sets (ToFieldSet) — every scalar, atomic list or map, list
//   item, empty or null map, and map entry that is not a named field of a struct;
// - compareValues: what changed between two versions (Compare): added and removed nodes at
//   every level, modified leaves;
// - mergeValues: an applied configuration merged into a live value (Merge): maps field by field,
//   associative lists item by item in structured-merge-diff's order, everything else replaced;
// - removeFields: the value without the member paths of a set (RemoveItems); a map or list that
//   the removal empties disappears too;
// - withNamedFieldsAsMembers: a set that also holds every named field on the way to its members
//   (EnsureNamedFieldsAreMembers), so that removing a struct field removes it whole.

#include <nlohmann/json.hpp>

#include "kube-lite/field_set.h"
#include "kube-lite/field_types.h"

namespace univirt::kubelite {

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;

  bool same() const { return added.empty() && modified.empty() && removed.empty(); }
};

FieldSet fieldSetOf(const nlohmann::json& value, const FieldType& type);
Comparison compareValues(const nlohmann::json& lhs, const nlohmann::json& rhs,
                         const FieldType& type);
// A null in `config` removes the field from the result (the applier still sets it).
nlohmann::json mergeValues(const nlohmann::json& live, const nlohmann::json& config,
                           const FieldType& type);
nlohmann::json removeFields(const nlohmann::json& value, const FieldSet& remove,
                            const FieldType& type);
FieldSet withNamedFieldsAsMembers(const FieldSet& set, const FieldType& type);

}  // namespace univirt::kubelite
