// Server-side apply with field ownership, as the real kubectl (`apply --server-side`, the 1.32
// binary picked by the dispatcher) and the official Python client's dynamic client (what
// Ansible's kubernetes.core.k8s uses with apply) see it (kube-api-semantics.md §2.15).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;

std::string vmManifest(const std::string& powerstate, const std::string& extra_spec = "",
                       const std::string& extra_labels = "") {
  return "apiVersion: doslab.io/v1\nkind: VirtualMachine\nmetadata:\n  name: vm1\n  labels:\n"
         "    host: node1\n" +
         extra_labels + "spec:\n  nodeName: node1\n  powerstate: " + powerstate + "\n" + extra_spec;
}

class KubectlServerSideApply : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")});
  }

  ProcessResult ok(const std::vector<std::string>& args, const std::string& input = "") {
    auto result = server_.kubectl(args, {}, input);
    EXPECT_EQ(result.exit_code, 0) << "kubectl failed:\n" << result.out << result.err;
    return result;
  }
  ProcessResult applyServerSide(const std::string& manifest,
                                const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"apply", "--server-side", "-f", "-"};
    args.insert(args.end(), flags.begin(), flags.end());
    return server_.kubectl(args, {}, manifest);
  }
  json vmJson() {
    return json::parse(ok({"get", "vm", "vm1", "-o", "json", "--show-managed-fields"}).out);
  }
  // fieldsV1 of the entry of `manager` with `operation`; null when there is none.
  static json fieldsOf(const json& object, const std::string& manager,
                       const std::string& operation) {
    for (const auto& entry : object["metadata"].value("managedFields", json::array())) {
      if (entry["manager"] == manager && entry["operation"] == operation) {
        return entry["fieldsV1"];
      }
    }
    return nullptr;
  }

  KubeLiteProcess server_;
};

TEST_F(KubectlServerSideApply, CreatesThenReapplyingChangesNothing) {
  auto created = applyServerSide(vmManifest("Running"));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("virtualmachine.doslab.io/vm1 serverside-applied"), std::string::npos)
      << created.out;
  json first = vmJson();
  EXPECT_EQ(fieldsOf(first, "kubectl", "Apply"), json::parse(R"({
      "f:metadata": {"f:labels": {"f:host": {}}},
      "f:spec": {"f:nodeName": {}, "f:powerstate": {}}})"));
  auto again = applyServerSide(vmManifest("Running"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(vmJson()["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"]);
  // kubectl hides the bookkeeping unless asked.
  auto yaml = ok({"get", "vm", "vm1", "-o", "yaml"}).out;
  EXPECT_EQ(yaml.find("managedFields"), std::string::npos);
  auto shown = ok({"get", "vm", "vm1", "-o", "yaml", "--show-managed-fields"}).out;
  EXPECT_NE(shown.find("manager: kubectl"), std::string::npos) << shown;
  EXPECT_NE(shown.find("operation: Apply"), std::string::npos) << shown;
}

TEST_F(KubectlServerSideApply, AnotherManagerConflictsUntilItForcesAndThenOwnsTheField) {
  ASSERT_EQ(applyServerSide(vmManifest("Running")).exit_code, 0);
  auto refused = applyServerSide(vmManifest("Shutdown"), {"--field-manager", "other"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find(R"(Apply failed with 1 conflict: conflict with "kubectl": )"
                             R"(.spec.powerstate)"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(vmJson()["spec"]["powerstate"], "Running");

  auto forced =
      applyServerSide(vmManifest("Shutdown"), {"--field-manager", "other", "--force-conflicts"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  json vm = vmJson();
  EXPECT_EQ(vm["spec"]["powerstate"], "Shutdown");
  EXPECT_EQ(fieldsOf(vm, "other", "Apply")["f:spec"],
            json::parse(R"({"f:nodeName": {}, "f:powerstate": {}})"));
  EXPECT_EQ(fieldsOf(vm, "kubectl", "Apply")["f:spec"], json::parse(R"({"f:nodeName": {}})"));
  // The first manager now conflicts in turn.
  auto back = applyServerSide(vmManifest("Running"));
  EXPECT_NE(back.exit_code, 0);
  EXPECT_NE(back.err.find(R"(conflict with "other")"), std::string::npos) << back.err;
}

TEST_F(KubectlServerSideApply, FieldsDroppedFromTheAppliedFileAreRemoved) {
  ASSERT_EQ(applyServerSide(vmManifest("Running", "  image: debian\n", "    env: dev\n")).exit_code,
            0);
  json before = vmJson();
  EXPECT_EQ(before["spec"]["image"], "debian");
  EXPECT_EQ(before["metadata"]["labels"]["env"], "dev");
  auto slimmer = applyServerSide(vmManifest("Running"));
  ASSERT_EQ(slimmer.exit_code, 0) << slimmer.err;
  json after = vmJson();
  EXPECT_FALSE(after["spec"].contains("image")) << after.dump();
  EXPECT_FALSE(after["metadata"]["labels"].contains("env"));
  EXPECT_EQ(after["spec"]["nodeName"], "node1");
}

TEST_F(KubectlServerSideApply, FieldsAnotherManagerAlsoOwnsStay) {
  ASSERT_EQ(applyServerSide(vmManifest("Running", "  image: debian\n")).exit_code, 0);
  ASSERT_EQ(
      applyServerSide(vmManifest("Running", "  image: debian\n"), {"--field-manager", "other"})
          .exit_code,
      0);
  ASSERT_EQ(applyServerSide(vmManifest("Running")).exit_code, 0);
  EXPECT_EQ(vmJson()["spec"]["image"], "debian");
}

TEST_F(KubectlServerSideApply, ImperativeEditsAreUpdatesThatAppliersConflictWith) {
  ASSERT_EQ(applyServerSide(vmManifest("Running", "", "    env: dev\n")).exit_code, 0);
  ok({"label", "vm", "vm1", "env=prod", "--overwrite"});
  json vm = vmJson();
  EXPECT_EQ(fieldsOf(vm, "kubectl-label", "Update"),
            json::parse(R"({"f:metadata": {"f:labels": {"f:env": {}}}})"));
  auto refused = applyServerSide(vmManifest("Running", "", "    env: dev\n"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find(R"(conflict with "kubectl-label" using doslab.io/v1)"),
            std::string::npos)
      << refused.err;
}

TEST_F(KubectlServerSideApply, TakesOverFromClientSideApply) {
  ok({"apply", "-f", "-"}, vmManifest("Running"));
  json csa = vmJson();
  EXPECT_FALSE(fieldsOf(csa, "kubectl-client-side-apply", "Update").is_null());
  // Another manager may not change what client-side apply set ...
  auto refused = applyServerSide(vmManifest("Shutdown"), {"--field-manager", "helm"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find(R"(conflict with "kubectl-client-side-apply" using doslab.io/v1)"),
            std::string::npos)
      << refused.err;
  // ... but kubectl itself migrates: what its last-applied annotation says is its own.
  auto migrated = applyServerSide(vmManifest("Shutdown"));
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  json vm = vmJson();
  EXPECT_EQ(vm["spec"]["powerstate"], "Shutdown");
  json owned = fieldsOf(vm, "kubectl", "Apply");
  EXPECT_TRUE(owned["f:spec"].contains("f:powerstate")) << owned.dump();
}

// The exact answers kube-apiserver gives, over plain HTTP.
TEST(ServerSideApplyHttp, RefusalsAreKubeApiserverStatusObjects) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  KubeHttp http(server, HttpAuth{server.token(), "", ""});
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  std::string path = std::string(kVmPath) + "/vm1";
  auto patch = [&](const std::string& query, const json& body) {
    return http.request("PATCH", path + query, body.dump(), "application/apply-patch+yaml");
  };
  json manifest = vm("vm1");

  auto no_manager = patch("", manifest);
  EXPECT_EQ(no_manager.status, 422);
  EXPECT_EQ(no_manager.json()["message"],
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required "
            "for apply patch");
  auto force_on_merge =
      http.request("PATCH", path + "?force=true", "{}", "application/merge-patch+json");
  EXPECT_EQ(force_on_merge.status, 422);
  json renamed = manifest;
  renamed["metadata"]["name"] = "vm2";
  auto wrong_name = patch("?fieldManager=a", renamed);
  EXPECT_EQ(wrong_name.status, 400);
  EXPECT_EQ(wrong_name.json()["message"],
            "the name of the object (vm2) does not match the name on the URL (vm1)");
  json other_version = manifest;
  other_version["apiVersion"] = "doslab.io/v2";
  EXPECT_EQ(patch("?fieldManager=a", other_version).status, 400);
  json with_fields = manifest;
  with_fields["metadata"]["managedFields"] = json::array();
  EXPECT_EQ(patch("?fieldManager=a", with_fields).status, 400);

  ASSERT_EQ(patch("?fieldManager=a", manifest).status, 201);
  json changed = manifest;
  changed["spec"]["powerstate"] = "Shutdown";
  changed["spec"]["nodeName"] = "node2";
  auto conflict = patch("?fieldManager=b&force=false", changed);
  ASSERT_EQ(conflict.status, 409);
  json expected = json::parse(R"({
      "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
      "message": "Apply failed with 2 conflicts: conflicts with \"a\":\n- .spec.nodeName\n- .spec.powerstate",
      "reason": "Conflict", "code": 409,
      "details": {"causes": [
        {"reason": "FieldManagerConflict", "message": "conflict with \"a\"", "field": ".spec.nodeName"},
        {"reason": "FieldManagerConflict", "message": "conflict with \"a\"", "field": ".spec.powerstate"}]}})");
  EXPECT_EQ(conflict.json(), expected) << conflict.body;
  auto forced = patch("?fieldManager=b&force=true", changed);
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["spec"]["nodeName"], "node2");

  // A merge patch is an Update owning what it changed.
  auto merged = http.request("PATCH", path, R"({"metadata":{"labels":{"team":"x"}}})",
                             "application/merge-patch+json");
  ASSERT_EQ(merged.status, 200);
  bool found = false;
  json merged_object = merged.json();
  for (const auto& entry : merged_object["metadata"]["managedFields"]) {
    if (entry["operation"] == "Update") {
      found = true;
      EXPECT_EQ(entry["fieldsV1"],
                json::parse(R"({"f:metadata": {"f:labels": {".": {}, "f:team": {}}}})"));
      EXPECT_EQ(entry["apiVersion"], "doslab.io/v1");
    }
  }
  EXPECT_TRUE(found) << merged.body;
}

TEST(PythonServerSideApply, DynamicClientAppliesConflictsAndForces) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  KubeHttp http(server, HttpAuth{server.token(), "", ""});
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  auto result =
      runProcess({"/usr/bin/python3",
                  std::string(UNIVIRT_SOURCE_DIR) + "/tests/compat/python/server_side_apply.py",
                  server.kubeconfig()},
                 {{"HOME", server.dir()}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("ok"), std::string::npos);
}

}  // namespace
}  // namespace univirt::testing
