// Updates, patches, status subresource, generation, deletion with finalizers, schema
// validation/pruning/fieldValidation and create-on-update.

#include <gtest/gtest.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;

class Writes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    http_ = std::make_unique<KubeHttp>(server_);
    ASSERT_EQ(installCrd(*http_, "virtualmachine-crd.yaml"), 201);
    ASSERT_EQ(installCrd(*http_, "widget-crd.yaml"), 201);
  }
  json widget(const std::string& name, json spec) {
    return {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", name}}},
            {"spec", std::move(spec)}};
  }
  std::string vmPath(const std::string& name) { return std::string(kVmPath) + "/" + name; }
  std::string widgetPath(const std::string& name) { return std::string(kWidgetPath) + "/" + name; }
  KubeLiteProcess server_;
  std::unique_ptr<KubeHttp> http_;
};

TEST_F(Writes, PutNeedsCurrentResourceVersion) {
  json created = http_->post(kVmPath, vm("vm1")).json();
  json update = created;
  update["metadata"].erase("resourceVersion");
  EXPECT_EQ(http_->put(vmPath("vm1"), update).status, 422);
  update["metadata"]["resourceVersion"] = "1";
  auto stale = http_->put(vmPath("vm1"), update);
  ASSERT_EQ(stale.status, 409);
  EXPECT_EQ(stale.json()["reason"], "Conflict");
  EXPECT_EQ(stale.json()["message"],
            "Operation cannot be fulfilled on virtualmachines.doslab.io \"vm1\": the object has "
            "been modified; please apply your changes to the latest version and try again");
  update = created;
  update["spec"]["powerstate"] = "Shutdown";
  auto ok = http_->put(vmPath("vm1"), update);
  ASSERT_EQ(ok.status, 200);
  EXPECT_NE(ok.json()["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
  EXPECT_EQ(http_->put(vmPath("other"), vm("missing")).status, 400);  // name differs from URL
  json missing = vm("missing");
  missing["metadata"]["resourceVersion"] = "3";
  EXPECT_EQ(http_->put(vmPath("missing"), missing).status, 404);
}

TEST_F(Writes, CreateOnUpdateOnlyWhereTheApiserverAllowsIt) {
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", "e1"}}},
                {"reason", "Started"}};
  EXPECT_EQ(http_->put("/api/v1/namespaces/default/events/e1", event).status, 201);
  json lease = {{"metadata", {{"name", "l1"}}}, {"spec", {{"holderIdentity", "me"}}}};
  EXPECT_EQ(http_->put("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1", lease).status,
            201);
  json cm = {{"metadata", {{"name", "c1"}}}};
  EXPECT_EQ(http_->put("/api/v1/namespaces/default/configmaps/c1", cm).status, 404);
}

TEST_F(Writes, MergeAndJsonPatchOnItemAndStatus) {
  ASSERT_EQ(http_->post(kWidgetPath, widget("w1", {{"cpu", 1}})).status, 201);
  auto merged = http_->patch(widgetPath("w1"), {{"spec", {{"cpu", 2}}}});
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["spec"]["cpu"], 2);
  auto patched = http_->patch(
      widgetPath("w1"), json::array({{{"op", "replace"}, {"path", "/spec/cpu"}, {"value", 3}}}),
      "application/json-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["spec"]["cpu"], 3);
  auto status = http_->patch(widgetPath("w1") + "/status", {{"status", {{"phase", "Ready"}}}});
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json()["status"]["phase"], "Ready");
  auto json_status =
      http_->patch(widgetPath("w1") + "/status",
                   json::array({{{"op", "replace"}, {"path", "/status/phase"}, {"value", "Done"}}}),
                   "application/json-patch+json");
  EXPECT_EQ(json_status.json()["status"]["phase"], "Done");
  auto failed_test = http_->patch(
      widgetPath("w1"), json::array({{{"op", "test"}, {"path", "/spec/cpu"}, {"value", 99}}}),
      "application/json-patch+json");
  EXPECT_EQ(failed_test.status, 422);
  EXPECT_EQ(http_->request("PATCH", widgetPath("w1"), "[{", "application/json-patch+json").status,
            400);
}

TEST_F(Writes, StrategicMergeIs415ForCustomResourcesAndWorksForBuiltins) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  auto cr =
      http_->patch(vmPath("vm1"), {{"spec", {{"x", 1}}}}, "application/strategic-merge-patch+json");
  ASSERT_EQ(cr.status, 415);
  EXPECT_EQ(cr.json()["reason"], "UnsupportedMediaType");
  EXPECT_EQ(http_->patch(vmPath("vm1"), {{"spec", {{"x", 1}}}}, "text/plain").status, 415);
  json pod = {{"metadata", {{"name", "p1"}}},
              {"spec",
               {{"containers", json::array({{{"name", "a"}, {"image", "a:1"}},
                                            {{"name", "b"}, {"image", "b:1"}}})}}}};
  ASSERT_EQ(http_->post("/api/v1/namespaces/default/pods", pod).status, 201);
  auto smp =
      http_->patch("/api/v1/namespaces/default/pods/p1",
                   {{"spec", {{"containers", json::array({{{"name", "b"}, {"image", "b:2"}}})}}}},
                   "application/strategic-merge-patch+json");
  ASSERT_EQ(smp.status, 200) << smp.body;
  json containers = smp.json()["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "a:1");
  EXPECT_EQ(containers[1]["image"], "b:2");
}

TEST_F(Writes, NoOpPatchKeepsResourceVersion) {
  json created = http_->post(kVmPath, vm("vm1")).json();
  auto same = http_->patch(vmPath("vm1"), {{"spec", {{"powerstate", "Running"}}}});
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(same.json()["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
}

TEST_F(Writes, GenerationFollowsTheStatusSubresourceRules) {
  json w = http_->post(kWidgetPath, widget("w1", {{"cpu", 1}})).json();
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w = http_->patch(widgetPath("w1"), {{"metadata", {{"labels", {{"a", "b"}}}}}}).json();
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w = http_->patch(widgetPath("w1") + "/status", {{"status", {{"phase", "x"}}}}).json();
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w = http_->patch(widgetPath("w1"), {{"spec", {{"cpu", 2}}}}).json();
  EXPECT_EQ(w["metadata"]["generation"], 2);
  // Without a status subresource .status is ordinary data and bumps generation.
  json gadget_crd = yamlFixture("widget-crd.yaml");
  gadget_crd["metadata"]["name"] = "gadgets.example.com";
  gadget_crd["spec"]["names"] = {{"kind", "Gadget"}, {"plural", "gadgets"}};
  gadget_crd["spec"]["versions"][0].erase("subresources");
  gadget_crd["spec"]["versions"][0].erase("selectableFields");
  ASSERT_EQ(http_->post(kCrdPath, gadget_crd).status, 201);
  std::string gadgets = "/apis/example.com/v1/namespaces/default/gadgets";
  json gadget = widget("g1", {{"cpu", 1}});
  gadget["kind"] = "Gadget";
  ASSERT_EQ(http_->post(gadgets, gadget).status, 201);
  json g = http_->patch(gadgets + "/g1", {{"status", {{"phase", "x"}}}}).json();
  EXPECT_EQ(g["status"]["phase"], "x");
  EXPECT_EQ(g["metadata"]["generation"], 2);
}

TEST_F(Writes, StatusSubresourceSeparatesSpecAndStatus) {
  json body = widget("w1", {{"cpu", 1}});
  body["status"] = {{"phase", "Injected"}};
  json created = http_->post(kWidgetPath, body).json();
  EXPECT_FALSE(created.contains("status"));
  json main_write = http_->patch(widgetPath("w1"), {{"status", {{"phase", "Ignored"}}}}).json();
  EXPECT_FALSE(main_write.contains("status"));
  json status_write = http_
                          ->patch(widgetPath("w1") + "/status",
                                  {{"spec", {{"cpu", 9}}}, {"status", {{"phase", "Ready"}}}})
                          .json();
  EXPECT_EQ(status_write["status"]["phase"], "Ready");
  EXPECT_EQ(status_write["spec"]["cpu"], 1);
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  EXPECT_EQ(http_->get(vmPath("vm1") + "/status").status, 404);
}

TEST_F(Writes, DeleteWithoutFinalizersReturnsSuccessStatus) {
  json created = http_->post(kVmPath, vm("vm1")).json();
  auto resp = http_->del(vmPath("vm1"));
  ASSERT_EQ(resp.status, 200);
  json status = resp.json();
  EXPECT_EQ(status["status"], "Success");
  EXPECT_EQ(status["details"]["uid"], created["metadata"]["uid"]);
  EXPECT_EQ(http_->get(vmPath("vm1")).status, 404);
  EXPECT_EQ(http_->del(vmPath("vm1")).status, 404);
}

TEST_F(Writes, DeleteWithFinalizersWaitsForTheLastOne) {
  json body = vm("vm1");
  body["metadata"]["finalizers"] = {"example.com/a"};
  json created = http_->post(kVmPath, body).json();
  auto pending = http_->del(vmPath("vm1"));
  ASSERT_EQ(pending.status, 200);
  json object = pending.json();
  EXPECT_TRUE(object["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(object["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_EQ(object["metadata"]["generation"], 2);
  auto add = http_->patch(vmPath("vm1"),
                          {{"metadata", {{"finalizers", {"example.com/a", "example.com/b"}}}}});
  EXPECT_EQ(add.status, 422);
  auto removed = http_->patch(vmPath("vm1"), {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_EQ(removed.status, 200);
  EXPECT_EQ(http_->get(vmPath("vm1")).status, 404);
}

TEST_F(Writes, DeleteCollectionRemovesSelectedObjects) {
  ASSERT_EQ(http_->post(kVmPath, vm("a", "Running", {{"env", "dev"}})).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("b", "Running", {{"env", "prod"}})).status, 201);
  auto resp = http_->del(std::string(kVmPath) + "?labelSelector=env%3Ddev");
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(resp.json()["items"].size(), 1u);
  EXPECT_EQ(http_->get(vmPath("a")).status, 404);
  EXPECT_EQ(http_->get(vmPath("b")).status, 200);
}

TEST_F(Writes, SchemaValidationIs422WithFieldCauses) {
  auto resp = http_->post(kWidgetPath, widget("w1", {{"cpu", "many"}, {"color", "pink"}}));
  ASSERT_EQ(resp.status, 422);
  json status = resp.json();
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["details"]["kind"], "Widget");
  std::set<std::string> fields;
  for (const auto& cause : status["details"]["causes"]) {
    fields.insert(cause["field"]);
  }
  EXPECT_EQ(fields, (std::set<std::string>{"spec.cpu", "spec.color"}));
  auto required = http_->post(kWidgetPath, widget("w2", json::object()));
  EXPECT_EQ(required.status, 422);
}

TEST_F(Writes, PruningDefaultsAndFieldValidation) {
  json body = widget("w1", {{"cpu", 1}, {"extra", true}});
  auto strict = http_->post(std::string(kWidgetPath) + "?fieldValidation=Strict", body);
  ASSERT_EQ(strict.status, 400);
  EXPECT_NE(strict.json()["message"].get<std::string>().find(
                "strict decoding error: unknown field \"spec.extra\""),
            std::string::npos);
  auto warn = http_->post(kWidgetPath, body);
  ASSERT_EQ(warn.status, 201);
  EXPECT_EQ(warn.header("warning"), "299 - \"unknown field \\\"spec.extra\\\"\"");
  EXPECT_FALSE(warn.json()["spec"].contains("extra"));
  EXPECT_EQ(warn.json()["spec"]["size"], "small");
  body["metadata"]["name"] = "w2";
  auto ignore = http_->post(std::string(kWidgetPath) + "?fieldValidation=Ignore", body);
  ASSERT_EQ(ignore.status, 201);
  EXPECT_EQ(ignore.header("warning"), "");
  // Unknown fields survive under x-kubernetes-preserve-unknown-fields.
  json v = vm("vm1");
  v["spec"]["anything"] = {{"deep", 1}};
  auto kept = http_->post(std::string(kVmPath) + "?fieldValidation=Strict", v);
  ASSERT_EQ(kept.status, 201);
  EXPECT_EQ(kept.json()["spec"]["anything"]["deep"], 1);
}

TEST_F(Writes, ServerSideApplyCreatesThenMerges) {
  json manifest = vm("vm1");
  auto missing =
      http_->request("PATCH", vmPath("vm1"), manifest.dump(), "application/apply-patch+yaml");
  EXPECT_EQ(missing.status, 422);  // fieldManager is required (PatchOptions validation)
  auto created = http_->request("PATCH", vmPath("vm1") + "?fieldManager=kubectl&force=false",
                                manifest.dump(), "application/apply-patch+yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  manifest["spec"]["powerstate"] = "Shutdown";
  auto merged = http_->request("PATCH", vmPath("vm1") + "?fieldManager=kubectl",
                               "apiVersion: doslab.io/v1\nkind: VirtualMachine\nmetadata:\n  "
                               "name: vm1\nspec:\n  powerstate: Shutdown\n",
                               "application/apply-patch+yaml");
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["spec"]["powerstate"], "Shutdown");
  // The manager stopped applying nodeName and nobody else owns it: gone.
  EXPECT_FALSE(merged.json()["spec"].contains("nodeName"));
}

TEST_F(Writes, CrdStatusConditionsAndFinalizer) {
  auto crd = http_->get(std::string(kCrdPath) + "/virtualmachines.doslab.io");
  ASSERT_EQ(crd.status, 200);
  json body = crd.json();
  std::map<std::string, std::string> reasons;
  for (const auto& cond : body["status"]["conditions"]) {
    EXPECT_EQ(cond["status"], "True");
    reasons[cond["type"]] = cond["reason"];
  }
  EXPECT_EQ(reasons["NamesAccepted"], "NoConflicts");
  EXPECT_EQ(reasons["Established"], "InitialNamesAccepted");
  EXPECT_EQ(body["status"]["acceptedNames"]["kind"], "VirtualMachine");
  EXPECT_EQ(body["status"]["storedVersions"], json::array({"v1"}));
  EXPECT_EQ(body["metadata"]["finalizers"],
            json::array({"customresourcecleanup.apiextensions.k8s.io"}));
  EXPECT_EQ(body["spec"]["names"]["listKind"], "VirtualMachineList");
  json bad = yamlFixture("widget-crd.yaml");
  bad["metadata"]["name"] = "wrong.example.com";
  EXPECT_EQ(http_->post(kCrdPath, bad).status, 422);
}

}  // namespace
}  // namespace univirt::testing
