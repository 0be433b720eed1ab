#pragma once

// The patch formats kube-apiserver accepts (kube-api-semantics.md §2.9): JSON merge patch
// (RFC 7386), JSON patch (RFC 6902) and strategic merge patch (built-in kinds only);
// server-side apply is field_manager.h. Failures are InvalidArgument (undecodable, → 400) or
// Conflict-free "Invalid" (a failed test/missing path, → 422) — see PatchError.

#include <string>

#include <nlohmann/json.hpp>

namespace univirt::kubelite {

struct PatchOutcome {
  bool ok = true;
  int code = 0;  // 400 or 422 when !ok
  std::string message;
  nlohmann::json result;
};

PatchOutcome applyMergePatch(const nlohmann::json& target, const nlohmann::json& patch);
PatchOutcome applyJsonPatch(const nlohmann::json& target, const nlohmann::json& patch);
// Strategic merge patch with the patchMergeKey metadata of the kinds kube-lite serves
// (containers/env/ports/volumes/... by key, finalizers as a set, $patch/$retainKeys/
// $setElementOrder/$deleteFromPrimitiveList directives).
PatchOutcome applyStrategicMergePatch(const nlohmann::json& target, const nlohmann::json& patch);

}  // namespace univirt::kubelite
