#include "kube-lite/managed_fields.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "kube-lite/structured_merge.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

constexpr size_t kFieldManagerMaxLength = 128;  // validation.FieldManagerMaxLength

// The fields nobody owns (k8s.io/apiserver stripmeta.go): exact paths, not their subtrees.
const FieldSet& serverOwnedFields() {
  static const FieldSet kStrip = [] {
    FieldSet set;
    set.insert({"f:apiVersion"});
    set.insert({"f:kind"});
    set.insert({"f:metadata"});
    for (const char* field : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                              "clusterName", "generation", "managedFields", "resourceVersion"}) {
      set.insert({"f:metadata", std::string("f:") + field});
    }
    return set;
  }();
  return kStrip;
}

// What of `set` a write through this endpoint can own.
FieldSet ownable(const FieldSet& set, const FieldManagerContext& ctx) {
  FieldSet out = set.minus(serverOwnedFields());
  if (ctx.subresource == "status") {
    FieldSet status_only;
    if (const FieldSet* status = out.child("f:status")) {
      status_only.childAt("f:status") = *status;
    }
    return status_only;
  }
  if (ctx.status_is_separate) {
    out.eraseChild("f:status");
  }
  return out;
}

// The object as ownership sees it: without the managedFields themselves.
json withoutManagedFields(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object() ||
      !object["metadata"].contains("managedFields")) {
    return object;
  }
  json copy = object;
  copy["metadata"].erase("managedFields");
  return copy;
}

bool sameIdentity(const ManagedFieldsEntry& entry, const std::string& manager,
                  const std::string& operation, const std::string& subresource,
                  const std::string& api_version) {
  if (entry.manager != manager || entry.operation != operation ||
      entry.subresource != subresource) {
    return false;
  }
  // Appliers are one entry whatever apiVersion they apply with (BuildManagerIdentifier).
  return operation == kOperationApply || entry.api_version == api_version;
}

ManagedFieldsEntry* findEntry(ManagedFields& entries, const std::string& manager,
                              const std::string& operation, const FieldManagerContext& ctx) {
  for (auto& entry : entries) {
    if (sameIdentity(entry, manager, operation, ctx.subresource, ctx.api_version)) {
      return &entry;
    }
  }
  return nullptr;
}

void dropEmpty(ManagedFields& entries) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const ManagedFieldsEntry& e) { return e.fields.empty(); }),
                entries.end());
}

// printManager of k8s.io/apiserver: "m", "m" with subresource "status", "m" using apps/v1.
std::string printManager(const ManagedFieldsEntry& entry) {
  std::string out = json(entry.manager).dump();
  if (!entry.subresource.empty()) {
    out += " with subresource " + json(entry.subresource).dump();
  }
  if (entry.operation == kOperationUpdate) {
    out += " using " + entry.api_version;
  }
  return out;
}

std::string lastAppliedOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) {
    return "";
  }
  const json& meta = object["metadata"];
  if (!meta.is_object() || !meta.contains("annotations") || !meta["annotations"].is_object()) {
    return "";
  }
  auto it = meta["annotations"].find(kLastAppliedAnnotation);
  return it != meta["annotations"].end() && it->is_string() ? it->get<std::string>() : "";
}

// kubectl applying server-side over its own client-side apply may take the fields whose live
// value is still what the last-applied annotation says (lastappliedmanager.go).
bool allowedByLastApplied(const json& live, const FieldSet& conflicting,
                          const FieldManagerContext& ctx) {
  std::string text = lastAppliedOf(live);
  if (text.empty()) {
    return false;
  }
  json last_applied = json::parse(text, nullptr, false);
  if (!last_applied.is_object()) {
    return false;
  }
  Comparison diff = compareValues(withoutManagedFields(live), last_applied, ctx.type);
  FieldSet allowed =
      ownable(fieldSetOf(last_applied, ctx.type), ctx).minus(diff.modified.unite(diff.added));
  return conflicting.minus(allowed).empty();
}

}  // namespace

util::Result<ManagedFields> decodeManagedFields(const json& list) {
  ManagedFields out;
  if (list.is_null()) {
    return out;
  }
  if (!list.is_array()) {
    return util::Error{util::ErrorCode::InvalidArgument, "managedFields must be a list"};
  }
  for (const auto& item : list) {
    if (!item.is_object()) {
      return util::Error{util::ErrorCode::InvalidArgument,
                         "every managedFields entry must be an object"};
    }
    ManagedFieldsEntry entry;
    auto text = [&](const char* key) {
      auto it = item.find(key);
      return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    entry.manager = text("manager");
    entry.operation = text("operation");
    entry.api_version = text("apiVersion");
    entry.time = text("time");
    entry.subresource = text("subresource");
    std::string fields_type = text("fieldsType");
    if (!fields_type.empty() && fields_type != "FieldsV1") {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("managedFields fieldsType '{}' is not FieldsV1", fields_type)};
    }
    if (item.contains("fieldsV1") && !item["fieldsV1"].is_null()) {
      auto fields = FieldSet::fromFieldsV1(item["fieldsV1"]);
      if (!fields) {
        return fields.error();
      }
      entry.fields = std::move(*fields);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

json encodeManagedFields(ManagedFields entries) {
  dropEmpty(entries);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  json out = json::array();
  for (const auto& entry : entries) {
    json item = {{"manager", entry.manager},
                 {"operation", entry.operation},
                 {"apiVersion", entry.api_version},
                 {"fieldsType", "FieldsV1"},
                 {"fieldsV1", entry.fields.toFieldsV1()}};
    if (!entry.time.empty()) {
      item["time"] = entry.time;
    }
    if (!entry.subresource.empty()) {
      item["subresource"] = entry.subresource;
    }
    out.push_back(std::move(item));
  }
  return out;
}

json managedFieldsOf(const json& object) {
  if (!object.is_object()) {
    return json();
  }
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return json();
  }
  auto fields = meta->find("managedFields");
  return fields == meta->end() ? json() : *fields;
}

void setManagedFields(json& object, const ManagedFields& entries) {
  json encoded = encodeManagedFields(entries);
  if (encoded.empty()) {
    object["metadata"].erase("managedFields");
    return;
  }
  object["metadata"]["managedFields"] = std::move(encoded);
}

std::string defaultFieldManager(const std::string& user_agent) {
  std::string prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (char c : prefix) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      continue;  // not printable
    }
    if (out.size() + 1 > kFieldManagerMaxLength) {
      break;
    }
    out += c;
  }
  return out;
}

ManagedFields recordUpdate(const json& old_object, const json& new_object, ManagedFields base,
                           const FieldManagerContext& ctx) {
  Comparison diff =
      compareValues(withoutManagedFields(old_object), withoutManagedFields(new_object), ctx.type);
  FieldSet changed = ownable(diff.added.unite(diff.modified), ctx);
  FieldSet removed = ownable(diff.removed, ctx);
  for (auto& entry : base) {
    entry.fields = entry.fields.minus(changed).minus(removed);
  }
  if (!changed.empty()) {
    if (ManagedFieldsEntry* own = findEntry(base, ctx.manager, kOperationUpdate, ctx)) {
      own->fields = own->fields.unite(changed);
      own->time = ctx.now;
    } else {
      base.push_back(ManagedFieldsEntry{ctx.manager, kOperationUpdate, ctx.api_version, ctx.now,
                                        ctx.subresource, changed});
    }
  }
  dropEmpty(base);
  return base;
}

PreparedApply prepareApply(const json* live, const json& config, const FieldManagerContext& ctx) {
  PreparedApply out;
  json base = live != nullptr ? *live : json::object();
  if (live != nullptr) {
    auto decoded = decodeManagedFields(managedFieldsOf(*live));
    if (decoded) {
      out.managers = std::move(*decoded);
    }
    dropEmpty(out.managers);
    if (out.managers.empty()) {
      FieldManagerContext before = ctx;
      before.manager = kBeforeFirstApplyManager;
      out.managers = recordUpdate(json::object(), base, {}, before);
    }
  }
  out.applied = ownable(fieldSetOf(config, ctx.type), ctx);
  json merged = mergeValues(base, config, ctx.type);
  ManagedFieldsEntry* own = findEntry(out.managers, ctx.manager, kOperationApply, ctx);
  if (own != nullptr && !own->fields.empty()) {
    FieldSet others = out.applied;
    for (const auto& entry : out.managers) {
      if (&entry != own) {
        others = others.unite(entry.fields);
      }
    }
    FieldSet drop = withNamedFieldsAsMembers(own->fields, ctx.type)
                        .minus(withNamedFieldsAsMembers(others, ctx.type))
                        .minus(serverOwnedFields());
    merged = removeFields(merged, drop, ctx.type);
  }
  out.object = std::move(merged);
  return out;
}

ApplyOutcome finishApply(const json& live, const json& final_object, PreparedApply prepared,
                         const FieldManagerContext& ctx, bool force) {
  ApplyOutcome out;
  Comparison diff =
      compareValues(withoutManagedFields(live), withoutManagedFields(final_object), ctx.type);
  FieldSet changed = ownable(diff.added.unite(diff.modified), ctx);
  FieldSet removed = ownable(diff.removed, ctx);
  ManagedFields& managers = prepared.managers;
  ManagedFieldsEntry* own = findEntry(managers, ctx.manager, kOperationApply, ctx);
  std::vector<const ManagedFieldsEntry*> others;
  for (const auto& entry : managers) {
    if (&entry != own) {
      others.push_back(&entry);
    }
  }
  std::sort(others.begin(), others.end(), [](const auto* a, const auto* b) {
    return std::tie(a->manager, a->operation, a->api_version, a->subresource) <
           std::tie(b->manager, b->operation, b->api_version, b->subresource);
  });
  FieldSet conflicting;
  for (const auto* entry : others) {
    FieldSet taken = entry->fields.intersect(changed);
    for (const auto& path : taken.paths()) {
      out.conflicts.push_back({printManager(*entry), path});
    }
    conflicting = conflicting.unite(taken);
  }
  if (!out.conflicts.empty() && !force &&
      !(ctx.manager == "kubectl" && allowedByLastApplied(live, conflicting, ctx))) {
    return out;
  }
  out.conflicts.clear();
  for (auto& entry : managers) {
    if (&entry != own) {
      entry.fields = entry.fields.minus(changed).minus(removed);
    }
  }
  if (own == nullptr) {
    managers.push_back(ManagedFieldsEntry{ctx.manager, kOperationApply, ctx.api_version, ctx.now,
                                          ctx.subresource, prepared.applied});
  } else {
    if (!diff.same() || !(own->fields == prepared.applied) || own->time.empty()) {
      own->time = ctx.now;
    }
    own->api_version = ctx.api_version;
    own->fields = prepared.applied;
  }
  dropEmpty(managers);
  out.managers = std::move(managers);
  return out;
}

ApiError applyConflict(const std::vector<FieldConflict>& conflicts) {
  json causes = json::array();
  for (const auto& conflict : conflicts) {
    causes.push_back({{"reason", "FieldManagerConflict"},
                      {"message", "conflict with " + conflict.manager},
                      {"field", formatFieldPath(conflict.path)}});
  }
  std::string message;
  if (conflicts.size() == 1) {
    message = fmt::format("Apply failed with 1 conflict: conflict with {}: {}",
                          conflicts[0].manager, formatFieldPath(conflicts[0].path));
  } else {
    std::vector<std::string> lines;
    std::string current;
    for (const auto& conflict : conflicts) {
      if (lines.empty() || conflict.manager != current) {
        current = conflict.manager;
        lines.push_back(fmt::format("conflicts with {}:", current));
      }
      lines.push_back("- " + formatFieldPath(conflict.path));
    }
    message =
        fmt::format("Apply failed with {} conflicts: {}", conflicts.size(), fmt::join(lines, "\n"));
  }
  ApiError error;
  error.code = 409;
  error.reason = "Conflict";
  error.message = std::move(message);
  error.details = {{"causes", std::move(causes)}};
  return error;
}

void syncLastApplied(json& object, const json& config, const std::string& manager) {
  if (manager != "kubectl" || lastAppliedOf(object).empty()) {
    return;
  }
  json applied = config;
  if (applied.contains("metadata") && applied["metadata"].is_object() &&
      applied["metadata"].contains("annotations") &&
      applied["metadata"]["annotations"].is_object()) {
    json& annotations = applied["metadata"]["annotations"];
    annotations.erase(kLastAppliedAnnotation);
    if (annotations.empty()) {
      applied["metadata"].erase("annotations");
    }
  }
  // runtime.Encode with the unstructured JSON scheme: sorted keys and a trailing newline.
  object["metadata"]["annotations"][kLastAppliedAnnotation] = applied.dump() + "\n";
}

}  // namespace univirt::kubelite
