// Discovery and OpenAPI as kubectl 1.32 asks for them (kube-api-semantics.md §2.2, §2.3).

#include <gtest/gtest.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;

constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
    "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

class Discovery : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.lastError(); }
  KubeLiteProcess server_;
};

const json* findResource(const json& list, const std::string& name) {
  for (const auto& resource : list["resources"]) {
    if (resource["name"] == name) {
      return &resource;
    }
  }
  return nullptr;
}

TEST_F(Discovery, LegacyApiAndApisWithPlainJsonAccept) {
  KubeHttp http(server_);
  auto api = http.get("/api");
  ASSERT_EQ(api.status, 200);
  EXPECT_EQ(api.json()["kind"], "APIVersions");
  EXPECT_EQ(api.json()["versions"], json::array({"v1"}));
  auto apis = http.get("/apis");
  ASSERT_EQ(apis.status, 200);
  EXPECT_EQ(apis.json()["kind"], "APIGroupList");
  bool has_apps = false;
  json groups = apis.json()["groups"];
  for (const auto& group : groups) {
    has_apps = has_apps || group["name"] == "apps";
  }
  EXPECT_TRUE(has_apps);
}

TEST_F(Discovery, AggregatedDocumentWhenAskedWithMatchingContentType) {
  KubeHttp http(server_);
  for (const char* path : {"/api", "/apis"}) {
    auto resp = http.get(path, kAggregatedAccept);
    ASSERT_EQ(resp.status, 200);
    EXPECT_EQ(resp.header("content-type"),
              "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    EXPECT_EQ(resp.json()["kind"], "APIGroupDiscoveryList");
    EXPECT_EQ(resp.json()["apiVersion"], "apidiscovery.k8s.io/v2");
  }
  auto core = http.get("/api", kAggregatedAccept).json();
  ASSERT_EQ(core["items"].size(), 1u);
  EXPECT_FALSE(core["items"][0]["metadata"].contains("name"));
}

TEST_F(Discovery, ResourceListHasStatusSubresourcesAndUnknownGroupVersionIs404) {
  KubeHttp http(server_);
  ASSERT_EQ(installCrd(http, "widget-crd.yaml"), 201);
  auto list = http.get("/apis/example.com/v1");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["kind"], "APIResourceList");
  json resources = list.json();
  EXPECT_NE(findResource(resources, "widgets"), nullptr);
  EXPECT_NE(findResource(resources, "widgets/status"), nullptr);
  auto core = http.get("/api/v1").json();
  EXPECT_NE(findResource(core, "nodes/status"), nullptr);
  auto missing = http.get("/apis/example.com/v9");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["kind"], "Status");
}

TEST_F(Discovery, CrdAppearsWhenEstablishedAndDisappearsWhenDeleted) {
  KubeHttp http(server_);
  EXPECT_EQ(http.get("/apis/doslab.io/v1").status, 404);
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  auto list = http.get("/apis/doslab.io/v1");
  ASSERT_EQ(list.status, 200);
  json resources = list.json();
  const json* vms = findResource(resources, "virtualmachines");
  ASSERT_NE(vms, nullptr);
  EXPECT_EQ((*vms)["kind"], "VirtualMachine");
  EXPECT_EQ((*vms)["shortNames"], json::array({"vm", "vms"}));
  EXPECT_EQ((*vms)["namespaced"], true);
  auto aggregated = http.get("/apis", kAggregatedAccept).json();
  bool listed = false;
  for (const auto& item : aggregated["items"]) {
    listed = listed || item["metadata"]["name"] == "doslab.io";
  }
  EXPECT_TRUE(listed);
  ASSERT_EQ(http.del(std::string(kCrdPath) + "/virtualmachines.doslab.io").status, 200);
  EXPECT_EQ(http.get("/apis/doslab.io/v1").status, 404);
  EXPECT_EQ(http.get(std::string(kCrdPath) + "/virtualmachines.doslab.io").status, 404);
}

TEST_F(Discovery, OpenApiV3IndexAndGroupVersionDocument) {
  KubeHttp http(server_);
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  auto index = http.get("/openapi/v3");
  ASSERT_EQ(index.status, 200);
  json paths = index.json()["paths"];
  ASSERT_TRUE(paths.contains("api/v1"));
  ASSERT_TRUE(paths.contains("apis/doslab.io/v1"));
  std::string url = paths["apis/doslab.io/v1"]["serverRelativeURL"];
  EXPECT_EQ(url.rfind("/openapi/v3/apis/doslab.io/v1?hash=", 0), 0u) << url;
  auto doc = http.get(url);
  ASSERT_EQ(doc.status, 200);
  json body = doc.json();
  const json& patch =
      body["paths"]["/apis/doslab.io/v1/namespaces/{namespace}/virtualmachines/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
            json({{"group", "doslab.io"}, {"version", "v1"}, {"kind", "VirtualMachine"}}));
  bool has_field_validation = false;
  for (const auto& param : patch["parameters"]) {
    has_field_validation = has_field_validation || param["name"] == "fieldValidation";
  }
  EXPECT_TRUE(has_field_validation);
  const json& schema = body["components"]["schemas"]["io.doslab.v1.VirtualMachine"];
  EXPECT_TRUE(schema["x-kubernetes-group-version-kind"].is_array());
  EXPECT_EQ(schema["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"], true);
}

// kubectl asks for protobuf and must never get JSON there (it would fail to parse it);
// tests/unit/kube-lite/openapi_v2_*_test.cpp check the document itself.
TEST_F(Discovery, OpenApiV2IsProtobufForKubectlAndJsonOnlyWhenAsked) {
  KubeHttp http(server_);
  const std::string protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
  auto resp = http.get("/openapi/v2", protobuf);
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.find("content-type")->second,
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  ASSERT_FALSE(resp.body.empty());
  EXPECT_NE(resp.body[0], '{');
  // Document.swagger (field 1, length 3) = "2.0"
  EXPECT_NE(resp.body.find(std::string("\x0a\x03", 2) + "2.0"), std::string::npos);
  EXPECT_NE(resp.headers.find("etag"), resp.headers.end());
  auto json_resp = http.get("/openapi/v2", "application/json");
  ASSERT_EQ(json_resp.status, 200);
  EXPECT_EQ(json_resp.json()["swagger"], "2.0");
  EXPECT_EQ(http.get("/openapi/v2", "text/html").status, 406);
}

TEST_F(Discovery, ReportedMinorIsConfigurable) {
  KubeLiteOptions options;
  options.minor = "27";
  KubeLiteProcess other(options);
  ASSERT_TRUE(other.start()) << other.lastError();
  KubeHttp http(other);
  EXPECT_EQ(http.get("/version").json()["minor"], "27");
}

}  // namespace
}  // namespace univirt::testing
