#pragma once

// managedFields: who owns which fields of an object, as kube-apiserver records it in
// metadata.managedFields (kube-api-semantics.md §2.11, §2.15; the fieldmanager package of
// k8s.io/apiserver over structured-merge-diff). One entry per (manager, operation, subresource,
// and for Update the apiVersion). A write changes ownership in one of two ways:
// - Update (create, update, patch): the writer gains the fields it added or changed, everyone
//   else loses them, and every manager loses the fields the write removed;
// - Apply (server-side apply): the applier owns exactly the fields of its configuration; fields
//   it applied before and no longer applies are removed from the object unless another manager
//   owns them; changing a field another manager owns is a conflict unless forced, and forcing
//   takes the field from that manager.
// Never owned: apiVersion, kind, and the metadata the server sets (name, namespace, uid,
// resourceVersion, generation, creationTimestamp, managedFields), and .status on the main
// resource when the status subresource is on (only .status through /status).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "kube-lite/api_error.h"
#include "kube-lite/field_set.h"
#include "kube-lite/field_types.h"

namespace univirt::kubelite {

inline constexpr const char* kOperationApply = "Apply";
inline constexpr const char* kOperationUpdate = "Update";
// Owner of everything an object held when it was first applied without any managedFields.
inline constexpr const char* kBeforeFirstApplyManager = "before-first-apply";
inline constexpr const char* kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // kOperationApply or kOperationUpdate
  std::string api_version;
  std::string time;         // RFC 3339, "" when unknown
  std::string subresource;  // "" or "status"
  FieldSet fields;
};

using ManagedFields = std::vector<ManagedFieldsEntry>;

// Decodes metadata.managedFields (absent or null: none). Entries with an empty set are kept so
// that a client's `managedFields: [{}]` reads as "reset", as kube-apiserver reads it.
util::Result<ManagedFields> decodeManagedFields(const nlohmann::json& list);
// Drops entries that own nothing and orders them as kube-apiserver does (operation, time,
// manager, apiVersion, subresource).
nlohmann::json encodeManagedFields(ManagedFields entries);

// metadata.managedFields of an object (null when absent), and setting it (removed when empty).
nlohmann::json managedFieldsOf(const nlohmann::json& object);
void setManagedFields(nlohmann::json& object, const ManagedFields& entries);

// kube-apiserver's default fieldManager: the User-Agent up to its first '/', printable
// characters only, at most 128 bytes ("kubectl/v1.32.0 (linux/amd64) …" → "kubectl").
std::string defaultFieldManager(const std::string& user_agent);

// Who writes, and through which endpoint.
struct FieldManagerContext {
  std::string manager;
  std::string api_version;  // the apiVersion the request was served under
  std::string subresource;  // "" or "status"
  std::string now;          // RFC 3339
  FieldType type;
  bool status_is_separate = false;  // the resource has the status subresource
};

// Update: `base` are the entries before the write; returns the entries after it.
ManagedFields recordUpdate(const nlohmann::json& old_object, const nlohmann::json& new_object,
                           ManagedFields base, const FieldManagerContext& ctx);

// Apply, step 1: `config` merged into `live` (nullptr: nothing yet), minus what ctx.manager
// applied before and dropped and nobody else owns.
struct PreparedApply {
  nlohmann::json object;
  ManagedFields managers;  // the live entries (before-first-apply owns all when there were none)
  FieldSet applied;        // what the applier owns once the apply succeeds
};
PreparedApply prepareApply(const nlohmann::json* live, const nlohmann::json& config,
                           const FieldManagerContext& ctx);

struct FieldConflict {
  std::string manager;  // as kube-apiserver prints it: "m", "m" using v1, "m" with subresource …
  FieldPath path;
};

// Apply, step 2: `final_object` is what the server's rules made of PreparedApply::object.
struct ApplyOutcome {
  std::vector<FieldConflict> conflicts;  // not empty: the apply must be refused
  ManagedFields managers;
};
ApplyOutcome finishApply(const nlohmann::json& live, const nlohmann::json& final_object,
                         PreparedApply prepared, const FieldManagerContext& ctx, bool force);

// 409 Conflict "Apply failed with N conflict(s): …" with one FieldManagerConflict cause each.
ApiError applyConflict(const std::vector<FieldConflict>& conflicts);

// kubectl's client-side to server-side apply migration (manager "kubectl" only): an object that
// carries the last-applied annotation gets it rewritten to the applied configuration.
void syncLastApplied(nlohmann::json& object, const nlohmann::json& config,
                     const std::string& manager);

}  // namespace univirt::kubelite
