// managedFields bookkeeping (managed_fields.h): Update ownership, server-side apply ownership,
// conflicts, forced applies and removal of fields an applier stopped applying — expected values
// are what kube-apiserver 1.32 writes for the same sequence of writes.

#include "kube-lite/managed_fields.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

constexpr const char* kNow = "2026-11-27T03:01:07Z";

const ResourceType& vmType() {
  static const ResourceType kType = [] {
    ResourceType type;
    type.group = "doslab.io";
    type.version = "v1";
    type.plural = "virtualmachines";
    type.kind = "VirtualMachine";
    type.builtin = false;
    type.schema = json::parse(R"({"type": "object", "properties": {
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}})");
    return type;
  }();
  return kType;
}

FieldManagerContext context(const std::string& manager, bool status_is_separate = false) {
  FieldManagerContext ctx;
  ctx.manager = manager;
  ctx.api_version = "doslab.io/v1";
  ctx.now = kNow;
  ctx.type = FieldType::forResource(vmType());
  ctx.status_is_separate = status_is_separate;
  return ctx;
}

json vm(const std::string& powerstate, const json& extra_spec = json::object()) {
  json object = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata", {{"name", "vm1"}, {"namespace", "default"}, {"labels", {{"host", "node1"}}}}},
      {"spec", {{"nodeName", "node1"}, {"powerstate", powerstate}}}};
  object["spec"].update(extra_spec);
  return object;
}

struct Applied {
  json object;
  std::vector<FieldConflict> conflicts;
};

// One server-side apply without the server's other rules: merge, conflicts, ownership.
Applied apply(const json* live, const json& config, const std::string& manager,
              bool force = false) {
  FieldManagerContext ctx = context(manager);
  PreparedApply prepared = prepareApply(live, config, ctx);
  json object = prepared.object;
  ApplyOutcome outcome = finishApply(live != nullptr ? *live : json::object(), object,
                                     std::move(prepared), ctx, force);
  if (!outcome.conflicts.empty()) {
    return {json(), outcome.conflicts};
  }
  setManagedFields(object, outcome.managers);
  return {object, {}};
}

json update(const json& old_object, json new_object, const std::string& manager) {
  auto base = decodeManagedFields(managedFieldsOf(old_object));
  EXPECT_TRUE(base);
  setManagedFields(new_object, recordUpdate(old_object, new_object, base ? *base : ManagedFields{},
                                            context(manager)));
  return new_object;
}

// The fieldsV1 of one entry, or null when the object has none for that manager.
json fieldsOf(const json& object, const std::string& manager, const std::string& operation) {
  for (const auto& entry : managedFieldsOf(object)) {
    if (entry["manager"] == manager && entry["operation"] == operation) {
      return entry["fieldsV1"];
    }
  }
  return nullptr;
}

TEST(ManagedFields, CreateIsAnUpdateOwningEveryNodeItAdded) {
  json created = update(json::object(), vm("Running"), "kubectl-client-side-apply");
  json entries = managedFieldsOf(created);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["manager"], "kubectl-client-side-apply");
  EXPECT_EQ(entries[0]["operation"], "Update");
  EXPECT_EQ(entries[0]["apiVersion"], "doslab.io/v1");
  EXPECT_EQ(entries[0]["time"], kNow);
  EXPECT_EQ(entries[0]["fieldsType"], "FieldsV1");
  // The server-owned metadata (name, namespace) and apiVersion/kind are nobody's.
  EXPECT_EQ(entries[0]["fieldsV1"], json::parse(R"({
      "f:metadata": {"f:labels": {".": {}, "f:host": {}}},
      "f:spec": {".": {}, "f:nodeName": {}, "f:powerstate": {}}})"));
}

TEST(ManagedFields, UpdateTakesChangedAndRemovedFieldsFromOtherManagers) {
  json created = update(json::object(), vm("Running"), "creator");
  json edited = vm("Shutdown");
  edited["metadata"]["managedFields"] = managedFieldsOf(created);
  edited = update(created, edited, "kubectl-edit");
  EXPECT_EQ(fieldsOf(edited, "kubectl-edit", "Update"),
            json::parse(R"({"f:spec": {"f:powerstate": {}}})"));
  EXPECT_EQ(fieldsOf(edited, "creator", "Update"), json::parse(R"({
      "f:metadata": {"f:labels": {".": {}, "f:host": {}}},
      "f:spec": {".": {}, "f:nodeName": {}}})"));
  json patched = edited;
  patched["spec"].erase("nodeName");
  patched = update(edited, patched, "kubectl-patch");
  EXPECT_TRUE(fieldsOf(patched, "kubectl-patch", "Update").is_null());  // removed nothing to own
  EXPECT_EQ(fieldsOf(patched, "creator", "Update"), json::parse(R"({
      "f:metadata": {"f:labels": {".": {}, "f:host": {}}}, "f:spec": {}})"));
}

TEST(ManagedFields, EncodeOrdersLikeKubeApiserverAndDropsEmptyEntries) {
  FieldSet some;
  some.insert({"f:spec", "f:x"});
  ManagedFields entries = {
      {"b", "Update", "v1", "2026-01-02T00:00:00Z", "", some},
      {"z", "Apply", "v1", "2026-01-03T00:00:00Z", "", some},
      {"a", "Update", "v1", "2026-01-02T00:00:00Z", "status", some},
      {"empty", "Update", "v1", "2026-01-01T00:00:00Z", "", FieldSet{}},
  };
  json encoded = encodeManagedFields(entries);
  ASSERT_EQ(encoded.size(), 3u);
  EXPECT_EQ(encoded[0]["manager"], "z");
  EXPECT_EQ(encoded[1]["manager"], "a");
  EXPECT_EQ(encoded[1]["subresource"], "status");
  EXPECT_EQ(encoded[2]["manager"], "b");
  auto decoded = decodeManagedFields(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(encodeManagedFields(*decoded), encoded);
  EXPECT_FALSE(decodeManagedFields(json::parse(R"([{"fieldsType": "FieldsV2"}])")));
}

TEST(ManagedFields, DefaultManagerIsTheUserAgentBeforeItsFirstSlash) {
  EXPECT_EQ(defaultFieldManager("kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef"), "kubectl");
  EXPECT_EQ(defaultFieldManager("OpenAPI-Generator/22.6.0/python"), "OpenAPI-Generator");
  EXPECT_EQ(defaultFieldManager("tool\x01name"), "toolname");
  EXPECT_EQ(defaultFieldManager(std::string(300, 'a')).size(), 128u);
  EXPECT_EQ(defaultFieldManager(""), "");
}

TEST(ServerSideApply, ApplierOwnsExactlyTheFieldsOfItsConfiguration) {
  Applied created = apply(nullptr, vm("Running"), "kubectl");
  ASSERT_TRUE(created.conflicts.empty());
  EXPECT_EQ(fieldsOf(created.object, "kubectl", "Apply"), json::parse(R"({
      "f:metadata": {"f:labels": {"f:host": {}}},
      "f:spec": {"f:nodeName": {}, "f:powerstate": {}}})"));
  Applied again = apply(&created.object, vm("Running"), "kubectl");
  EXPECT_EQ(again.object, created.object);  // re-applying changes nothing, not even the time
}

TEST(ServerSideApply, ChangingAFieldAnotherApplierOwnsConflictsUnlessForced) {
  json live = apply(nullptr, vm("Running"), "kubectl").object;
  Applied refused = apply(&live, vm("Shutdown"), "other");
  ASSERT_EQ(refused.conflicts.size(), 1u);
  ApiError error = applyConflict(refused.conflicts);
  EXPECT_EQ(error.code, 409);
  EXPECT_EQ(error.reason, "Conflict");
  EXPECT_EQ(error.message,
            R"(Apply failed with 1 conflict: conflict with "kubectl": .spec.powerstate)");
  EXPECT_EQ(error.details, json::parse(R"({"causes": [{"reason": "FieldManagerConflict",
      "message": "conflict with \"kubectl\"", "field": ".spec.powerstate"}]})"));

  Applied forced = apply(&live, vm("Shutdown"), "other", true);
  ASSERT_TRUE(forced.conflicts.empty());
  EXPECT_EQ(forced.object["spec"]["powerstate"], "Shutdown");
  // Same values are shared; the changed one moved.
  EXPECT_EQ(fieldsOf(forced.object, "kubectl", "Apply"), json::parse(R"({
      "f:metadata": {"f:labels": {"f:host": {}}}, "f:spec": {"f:nodeName": {}}})"));
  EXPECT_EQ(fieldsOf(forced.object, "other", "Apply"), json::parse(R"({
      "f:metadata": {"f:labels": {"f:host": {}}},
      "f:spec": {"f:nodeName": {}, "f:powerstate": {}}})"));
}

TEST(ServerSideApply, FieldsAnApplierDropsAreRemovedUnlessSomeoneElseOwnsThem) {
  json live = apply(nullptr, vm("Running", {{"image", "debian"}, {"cpu", 2}}), "kubectl").object;
  live = apply(&live, vm("Running", {{"image", "debian"}}), "other").object;
  json slim = vm("Running");
  slim["spec"].erase("nodeName");
  slim["metadata"].erase("labels");
  Applied after = apply(&live, slim, "kubectl");
  ASSERT_TRUE(after.conflicts.empty());
  EXPECT_EQ(after.object["spec"],
            json::parse(R"({"powerstate": "Running", "image": "debian", "nodeName": "node1"})"));
  EXPECT_EQ(after.object["metadata"]["labels"], json({{"host", "node1"}}));  // other owns it
  EXPECT_EQ(fieldsOf(after.object, "kubectl", "Apply"),
            json::parse(R"({"f:spec": {"f:powerstate": {}}})"));
  // Once nobody else owns them, dropping them removes them.
  json only_power = {{"apiVersion", "doslab.io/v1"},
                     {"kind", "VirtualMachine"},
                     {"metadata", {{"name", "vm1"}}},
                     {"spec", {{"powerstate", "Running"}}}};
  Applied other_leaves = apply(&after.object, only_power, "other");
  EXPECT_EQ(other_leaves.object["spec"], json({{"powerstate", "Running"}}));
  EXPECT_FALSE(other_leaves.object["metadata"].contains("labels"));
  EXPECT_EQ(other_leaves.object["metadata"]["name"], "vm1");
}

TEST(ServerSideApply, ConflictsWithUpdatersNameTheirApiVersionAndAreCounted) {
  json live = update(json::object(), vm("Running"), "kubectl-client-side-apply");
  Applied refused = apply(&live, vm("Shutdown", {{"nodeName", "node2"}}), "helm");
  ASSERT_EQ(refused.conflicts.size(), 2u);
  ApiError error = applyConflict(refused.conflicts);
  EXPECT_EQ(error.message,
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using "
            "doslab.io/v1:\n- .spec.nodeName\n- .spec.powerstate");
  EXPECT_EQ(error.details["causes"][0]["message"],
            R"(conflict with "kubectl-client-side-apply" using doslab.io/v1)");
}

TEST(ServerSideApply, KubectlMayTakeWhatItAppliedClientSide) {
  json live = vm("Running");
  json last_applied = vm("Running");
  live["metadata"]["annotations"][kLastAppliedAnnotation] = last_applied.dump() + "\n";
  live = update(json::object(), live, "kubectl-client-side-apply");
  EXPECT_FALSE(apply(&live, vm("Shutdown"), "someone-else").conflicts.empty());
  Applied taken = apply(&live, vm("Shutdown"), "kubectl");
  ASSERT_TRUE(taken.conflicts.empty());
  EXPECT_EQ(taken.object["spec"]["powerstate"], "Shutdown");
  syncLastApplied(taken.object, vm("Shutdown"), "kubectl");
  EXPECT_EQ(taken.object["metadata"]["annotations"][kLastAppliedAnnotation],
            vm("Shutdown").dump() + "\n");
}

TEST(ServerSideApply, FirstApplyToAnUntrackedObjectConflictsWithBeforeFirstApply) {
  json live = vm("Running");  // stored before managedFields existed
  Applied refused = apply(&live, vm("Shutdown"), "kubectl");
  ASSERT_EQ(refused.conflicts.size(), 1u);
  EXPECT_EQ(refused.conflicts[0].manager, R"("before-first-apply" using doslab.io/v1)");
  Applied same = apply(&live, vm("Running"), "kubectl");
  ASSERT_TRUE(same.conflicts.empty());
  EXPECT_FALSE(fieldsOf(same.object, kBeforeFirstApplyManager, "Update").is_null());
}

TEST(ServerSideApply, StatusIsNotOwnedThroughTheMainResource) {
  json config = vm("Running");
  config["status"] = {{"phase", "Running"}};
  FieldManagerContext main = context("kubectl", true);
  PreparedApply prepared = prepareApply(nullptr, config, main);
  EXPECT_EQ(prepared.applied.child("f:status"), nullptr);
  FieldManagerContext status = context("kubectl", true);
  status.subresource = "status";
  PreparedApply through_status = prepareApply(nullptr, config, status);
  EXPECT_EQ(through_status.applied.paths(), (std::vector<FieldPath>{{"f:status", "f:phase"}}));
}

}  // namespace
}  // namespace univirt::kubelite
