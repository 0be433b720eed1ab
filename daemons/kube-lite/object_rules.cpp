#include "kube-lite/object_rules.h"

#include <random>

#include <fmt/format.h>

#include "kube-lite/crd.h"
#include "kube-lite/schema.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

bool tracksGeneration(const ResourceType& type) {
  return !type.builtin || type.plural == "customresourcedefinitions" || type.plural == "daemonsets";
}

json withoutMetadata(const json& object, bool drop_status) {
  json copy = object;
  copy.erase("metadata");
  if (drop_status) {
    copy.erase("status");
  }
  return copy;
}

std::vector<std::string> finalizersOf(const json& object) {
  std::vector<std::string> out;
  const json& meta = object["metadata"];
  if (meta.contains("finalizers") && meta["finalizers"].is_array()) {
    for (const auto& f : meta["finalizers"]) {
      if (f.is_string()) {
        out.push_back(f.get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

FieldValidation parseFieldValidation(const std::string& value) {
  if (value == "Strict") {
    return FieldValidation::Strict;
  }
  if (value == "Ignore") {
    return FieldValidation::Ignore;
  }
  return FieldValidation::Warn;
}

std::optional<ApiError> checkBodyIdentity(const WriteRules& rules, const json& body) {
  if (!body.is_object()) {
    return badRequest("the request body must be a JSON object");
  }
  std::string api_version = body.value("apiVersion", "");
  std::string kind = body.value("kind", "");
  if ((!api_version.empty() && api_version != rules.type.apiVersion()) ||
      (!kind.empty() && kind != rules.type.kind)) {
    return badRequest(
        fmt::format("the API version in the data ({}) does not match the expected API version ({})",
                    api_version, rules.type.apiVersion()));
  }
  if (body.contains("metadata") && !body["metadata"].is_object()) {
    return badRequest("metadata must be an object");
  }
  if (rules.type.namespaced && body.contains("metadata")) {
    std::string ns = body["metadata"].value("namespace", "");
    if (!ns.empty() && ns != rules.ns) {
      return badRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> normalizeObject(const WriteRules& rules, json& object,
                                        const std::string& name) {
  if (rules.type.builtin || !rules.type.schema.is_object()) {
    return std::nullopt;
  }
  std::vector<std::string> pruned = pruneObject(object, rules.type.schema);
  if (!pruned.empty() && rules.validation == FieldValidation::Strict) {
    std::vector<std::string> parts;
    for (const auto& field : pruned) {
      parts.push_back(fmt::format("unknown field \"{}\"", field));
    }
    return badRequest(
        fmt::format("{} in version \"{}\" cannot be handled as a {}: strict "
                    "decoding error: {}",
                    rules.type.kind, rules.type.version, rules.type.kind, fmt::join(parts, ", ")));
  }
  if (!pruned.empty() && rules.validation == FieldValidation::Warn && rules.warnings != nullptr) {
    for (const auto& field : pruned) {
      rules.warnings->push_back(fmt::format("unknown field \"{}\"", field));
    }
  }
  applyDefaults(object, rules.type.schema);
  auto causes = validateObject(object, rules.type.schema);
  if (!causes.empty()) {
    return invalid(rules.type.names(), name, causes);
  }
  return std::nullopt;
}

Mutation prepareCreate(const WriteRules& rules, json object, const std::vector<json>& other_crds) {
  Mutation mutation;
  json& meta = object["metadata"];
  std::string name = meta.value("name", "");
  for (const char* owned :
       {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
        "managedFields", "selfLink", "resourceVersion"}) {
    meta.erase(owned);
  }
  object["apiVersion"] = rules.type.apiVersion();
  object["kind"] = rules.type.kind;
  meta["uid"] = newUid();
  meta["creationTimestamp"] = rules.now;
  if (rules.type.namespaced) {
    meta["namespace"] = rules.ns;
  } else {
    meta.erase("namespace");
  }
  if (tracksGeneration(rules.type)) {
    meta["generation"] = 1;
  }
  if (rules.type.has_status && rules.type.plural != "namespaces") {
    object.erase("status");
  }
  if (rules.type.plural == "secrets" && rules.type.group.empty() &&
      object.value("type", "").empty()) {
    object["type"] = "Opaque";  // the apiserver's Secret default
  }
  if (rules.type.plural == "namespaces") {
    object["status"] = {{"phase", "Active"}};
    object["spec"] = {{"finalizers", {"kubernetes"}}};
  }
  if (rules.type.plural == "customresourcedefinitions") {
    auto causes = defaultAndValidateCrd(object);
    if (!causes.empty()) {
      mutation.error = invalid(rules.type.names(), name, causes);
      return mutation;
    }
    json finalizers = meta.contains("finalizers") ? meta["finalizers"] : json::array();
    if (std::find(finalizers.begin(), finalizers.end(), json(kCrdCleanupFinalizer)) ==
        finalizers.end()) {
      finalizers.push_back(kCrdCleanupFinalizer);
    }
    meta["finalizers"] = finalizers;
    setCrdStatus(object, other_crds, rules.now);
  }
  mutation.action = WriteAction::Put;
  mutation.object = std::move(object);
  return mutation;
}

Mutation prepareUpdate(const WriteRules& rules, const json& current, json updated,
                       bool status_subresource, const std::vector<json>& other_crds) {
  Mutation mutation;
  const json& old_meta = current["metadata"];
  std::string name = old_meta.value("name", "");
  json next;
  if (status_subresource) {
    // Only .status may change; everything else comes from the stored object.
    next = current;
    if (updated.contains("status")) {
      next["status"] = updated["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(updated);
    if (!next.contains("metadata") || !next["metadata"].is_object()) {
      next["metadata"] = json::object();
    }
    if (rules.type.has_status && rules.type.plural != "namespaces") {
      if (current.contains("status")) {
        next["status"] = current["status"];
      } else {
        next.erase("status");
      }
    }
    json& meta = next["metadata"];
    for (const char* owned : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation", "name", "namespace"}) {
      if (old_meta.contains(owned)) {
        meta[owned] = old_meta[owned];
      } else {
        meta.erase(owned);
      }
    }
    // managedFields are the field manager's to write (field_manager.h); until it does, the
    // stored ones stand, so that a write that changes nothing stays a no-op.
    if (old_meta.contains("managedFields")) {
      meta["managedFields"] = old_meta["managedFields"];
    } else {
      meta.erase("managedFields");
    }
    meta.erase("selfLink");
    next["apiVersion"] = rules.type.apiVersion();
    next["kind"] = rules.type.kind;
    if (rules.type.plural == "customresourcedefinitions") {
      auto causes = defaultAndValidateCrd(next);
      if (!causes.empty()) {
        mutation.error = invalid(rules.type.names(), name, causes);
        return mutation;
      }
    }
  }
  next["metadata"]["resourceVersion"] = old_meta.value("resourceVersion", "");
  // Finalizer rules while deleting.
  if (old_meta.contains("deletionTimestamp")) {
    auto old_finalizers = finalizersOf(current);
    for (const auto& f : finalizersOf(next)) {
      if (std::find(old_finalizers.begin(), old_finalizers.end(), f) == old_finalizers.end()) {
        mutation.error = invalid(
            rules.type.names(), name,
            {{"FieldValueForbidden",
              "Forbidden: no new finalizers can be added if the object is being deleted, found "
              "new finalizers []string{\"" +
                  f + "\"}",
              "metadata.finalizers"}});
        return mutation;
      }
    }
  }
  if (rules.type.plural == "customresourcedefinitions") {
    setCrdStatus(next, other_crds, rules.now);
  }
  if (tracksGeneration(rules.type) && !status_subresource) {
    bool drop_status = rules.type.has_status;
    if (withoutMetadata(current, drop_status) != withoutMetadata(next, drop_status)) {
      next["metadata"]["generation"] = old_meta.value("generation", 0) + 1;
    }
  }
  if (next == current) {
    mutation.action = WriteAction::Keep;
    return mutation;
  }
  if (old_meta.contains("deletionTimestamp") && finalizersOf(next).empty()) {
    mutation.action = WriteAction::Remove;
    mutation.object = std::move(next);
    return mutation;
  }
  mutation.action = WriteAction::Put;
  mutation.object = std::move(next);
  return mutation;
}

Mutation prepareDelete(const WriteRules& rules, const json& current) {
  Mutation mutation;
  if (finalizersOf(current).empty()) {
    mutation.action = WriteAction::Remove;
    mutation.object = current;
    return mutation;
  }
  if (current["metadata"].contains("deletionTimestamp")) {
    mutation.action = WriteAction::Keep;
    return mutation;
  }
  json next = current;
  next["metadata"]["deletionTimestamp"] = rules.now;
  next["metadata"]["deletionGracePeriodSeconds"] = 0;
  if (tracksGeneration(rules.type)) {
    next["metadata"]["generation"] = current["metadata"].value("generation", 0) + 1;
  }
  mutation.action = WriteAction::Put;
  mutation.object = std::move(next);
  return mutation;
}

std::string generateNameSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[pick(rng())];
  }
  return out;
}

std::string newUid() {
  std::uniform_int_distribution<uint32_t> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) {
    x = static_cast<unsigned char>(byte(rng()));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

bool isDns1123Subdomain(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '-' && c != '.') {
      return false;
    }
    if (c == '.' && (!alnum(name[i - 1]) || !alnum(name[i + 1]))) {
      return false;
    }
  }
  return true;
}

}  // namespace univirt::kubelite
