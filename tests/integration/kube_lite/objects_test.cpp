// Reads and creates: get, list, selectors, pagination, Table, create rules, Status errors.

#include <regex>

#include <gtest/gtest.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;

constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s."
    "io,application/json";

class Objects : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    http_ = std::make_unique<KubeHttp>(server_);
    ASSERT_EQ(installCrd(*http_, "virtualmachine-crd.yaml"), 201);
  }
  std::vector<std::string> names(const HttpResponse& resp) {
    std::vector<std::string> out;
    json body = resp.json();
    for (const auto& item : body["items"]) {
      out.push_back(item["metadata"]["name"]);
    }
    return out;
  }
  KubeLiteProcess server_;
  std::unique_ptr<KubeHttp> http_;
};

TEST_F(Objects, CreateSetsServerOwnedMetadata) {
  auto resp = http_->post(kVmPath, vm("vm1"));
  ASSERT_EQ(resp.status, 201) << resp.body;
  json meta = resp.json()["metadata"];
  EXPECT_TRUE(std::regex_match(meta["uid"].get<std::string>(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")));
  EXPECT_TRUE(std::regex_match(meta["creationTimestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_FALSE(meta["resourceVersion"].get<std::string>().empty());
  EXPECT_EQ(meta["generation"], 1);
  EXPECT_EQ(meta["namespace"], "default");
}

TEST_F(Objects, DuplicateCreateIs409AlreadyExists) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  auto resp = http_->post(kVmPath, vm("vm1"));
  ASSERT_EQ(resp.status, 409);
  EXPECT_EQ(resp.json()["reason"], "AlreadyExists");
  EXPECT_EQ(resp.json()["message"], "virtualmachines.doslab.io \"vm1\" already exists");
}

TEST_F(Objects, GenerateNameAppendsFiveCharacters) {
  json body = vm("");
  body["metadata"].erase("name");
  body["metadata"]["generateName"] = "vm-";
  auto resp = http_->post(kVmPath, body);
  ASSERT_EQ(resp.status, 201) << resp.body;
  EXPECT_TRUE(std::regex_match(resp.json()["metadata"]["name"].get<std::string>(),
                               std::regex("vm-[bcdfghjklmnpqrstvwxz2456789]{5}")));
}

TEST_F(Objects, CreateRulesReturnTheApiserverErrors) {
  json nameless = vm("");
  nameless["metadata"].erase("name");
  EXPECT_EQ(http_->post(kVmPath, nameless).status, 422);
  json with_rv = vm("vm1");
  with_rv["metadata"]["resourceVersion"] = "5";
  EXPECT_EQ(http_->post(kVmPath, with_rv).status, 500);
  json other_ns = vm("vm1");
  other_ns["metadata"]["namespace"] = "other";
  EXPECT_EQ(http_->post(kVmPath, other_ns).status, 400);
  EXPECT_EQ(http_->post(kVmPath, vm("Bad_Name")).status, 422);
  auto missing_ns = http_->post("/apis/doslab.io/v1/namespaces/nope/virtualmachines", vm("vm1"));
  EXPECT_EQ(missing_ns.status, 404);
  EXPECT_EQ(missing_ns.json()["message"], "namespaces \"nope\" not found");
}

TEST_F(Objects, GetMissingIs404WithDetails) {
  auto resp = http_->get(std::string(kVmPath) + "/vm9");
  ASSERT_EQ(resp.status, 404);
  json status = resp.json();
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["message"], "virtualmachines.doslab.io \"vm9\" not found");
  EXPECT_EQ(status["details"],
            json({{"name", "vm9"}, {"group", "doslab.io"}, {"kind", "virtualmachines"}}));
}

TEST_F(Objects, ListShapeAndAllNamespaces) {
  ASSERT_EQ(http_->post("/api/v1/namespaces", json{{"metadata", {{"name", "other"}}}}).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  ASSERT_EQ(http_->post("/apis/doslab.io/v1/namespaces/other/virtualmachines", vm("vm2")).status,
            201);
  auto list = http_->get(kVmPath);
  ASSERT_EQ(list.status, 200);
  json body = list.json();
  EXPECT_EQ(body["kind"], "VirtualMachineList");
  EXPECT_EQ(body["apiVersion"], "doslab.io/v1");
  EXPECT_FALSE(body["metadata"]["resourceVersion"].get<std::string>().empty());
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["kind"], "VirtualMachine");
  EXPECT_EQ(body["items"][0]["apiVersion"], "doslab.io/v1");
  auto all = http_->get("/apis/doslab.io/v1/virtualmachines");
  EXPECT_EQ(names(all), (std::vector<std::string>{"vm1", "vm2"}));
}

TEST_F(Objects, LabelSelectorsEqualitySetAndNumeric) {
  ASSERT_EQ(http_->post(kVmPath, vm("a", "Running", {{"env", "dev"}, {"n", "3"}})).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("b", "Running", {{"env", "prod"}, {"n", "7"}})).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("c")).status, 201);
  auto select = [&](const std::string& selector) {
    return names(http_->get(std::string(kVmPath) + "?labelSelector=" + selector));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(select("env%3Ddev"), V{"a"});
  EXPECT_EQ(select("env%3D%3Ddev"), V{"a"});
  EXPECT_EQ(select("env%21%3Ddev"), (V{"b", "c"}));
  EXPECT_EQ(select("env+in+(dev,prod)"), (V{"a", "b"}));
  EXPECT_EQ(select("env%20notin%20(dev)"), (V{"b", "c"}));
  EXPECT_EQ(select("env"), (V{"a", "b"}));
  EXPECT_EQ(select("%21env"), V{"c"});
  EXPECT_EQ(select("n%3E5"), V{"b"});
  EXPECT_EQ(select("n%3C5"), V{"a"});
  auto bad = http_->get(std::string(kVmPath) + "?labelSelector=env%20in%20dev");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["reason"], "BadRequest");
}

TEST_F(Objects, FieldSelectorsNameNamespaceAndUnsupported) {
  ASSERT_EQ(http_->post(kVmPath, vm("a")).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("b")).status, 201);
  EXPECT_EQ(names(http_->get(std::string(kVmPath) + "?fieldSelector=metadata.name%3Da")),
            std::vector<std::string>{"a"});
  EXPECT_EQ(names(http_->get(std::string(kVmPath) + "?fieldSelector=metadata.name%21%3Da")),
            std::vector<std::string>{"b"});
  EXPECT_EQ(names(http_->get("/apis/doslab.io/v1/virtualmachines?fieldSelector=metadata."
                             "namespace%3D%3Ddefault"))
                .size(),
            2u);
  auto bad = http_->get(std::string(kVmPath) + "?fieldSelector=spec.powerstate%3DRunning");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["message"], "field label not supported: spec.powerstate");
}

TEST_F(Objects, CrdSelectableFieldsWork) {
  ASSERT_EQ(installCrd(*http_, "widget-crd.yaml"), 201);
  for (auto [name, color] : {std::pair{"w1", "red"}, std::pair{"w2", "blue"}}) {
    json widget = {{"apiVersion", "example.com/v1"},
                   {"kind", "Widget"},
                   {"metadata", {{"name", name}}},
                   {"spec", {{"cpu", 1}, {"color", color}}}};
    ASSERT_EQ(http_->post(kWidgetPath, widget).status, 201);
  }
  EXPECT_EQ(names(http_->get(std::string(kWidgetPath) + "?fieldSelector=spec.color%3Dblue")),
            std::vector<std::string>{"w2"});
}

TEST_F(Objects, LimitAndContinuePagesThroughEverything) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(http_->post(kVmPath, vm("vm" + std::to_string(i))).status, 201);
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::string path = std::string(kVmPath) + "?limit=2";
    if (!token.empty()) {
      path += "&continue=" + token;
    }
    auto page = http_->get(path);
    ASSERT_EQ(page.status, 200) << page.body;
    for (const auto& name : names(page)) {
      seen.push_back(name);
    }
    json meta = page.json()["metadata"];
    token = meta.value("continue", "");
    if (!token.empty()) {
      EXPECT_EQ(meta["remainingItemCount"], 5 - 2 * (pages + 1));
    }
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"vm0", "vm1", "vm2", "vm3", "vm4"}));
}

TEST_F(Objects, TableListUsesPrinterColumns) {
  json object = vm("vm1");
  object["metadata"]["labels"] = {{"host", "node1"}};
  ASSERT_EQ(http_->post(kVmPath, object).status, 201);
  auto resp = http_->get(kVmPath, kTableAccept);
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(resp.header("content-type"), "application/json;as=Table;v=v1;g=meta.k8s.io");
  json table = resp.json();
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  json columns = table["columnDefinitions"];
  EXPECT_EQ(columns[0]["name"], "Name");
  EXPECT_EQ(columns[0]["format"], "name");
  std::vector<std::string> column_names;
  for (const auto& col : columns) {
    column_names.push_back(col["name"]);
  }
  EXPECT_EQ(column_names, (std::vector<std::string>{"Name", "UUID", "TYPE", "CPU", "RAM(KB)",
                                                    "STATUS", "AGE", "NODE", "MESSAGE", "IMAGE"}));
  EXPECT_EQ(columns[7]["priority"], 1);
  json row = table["rows"][0];
  EXPECT_EQ(row["cells"][0], "vm1");
  EXPECT_TRUE(row["cells"][1].is_null());
  EXPECT_EQ(row["cells"][5], "Running");
  EXPECT_TRUE(std::regex_match(row["cells"][6].get<std::string>(), std::regex(R"(\d+s)")));
  EXPECT_EQ(row["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(row["object"]["metadata"]["labels"]["host"], "node1");
}

TEST_F(Objects, TableDefaultsToAgeColumnAndWorksForGet) {
  ASSERT_EQ(
      http_->post("/api/v1/namespaces/default/configmaps", json{{"metadata", {{"name", "c1"}}}})
          .status,
      201);
  auto resp = http_->get("/api/v1/namespaces/default/configmaps/c1", kTableAccept);
  ASSERT_EQ(resp.status, 200);
  json table = resp.json();
  ASSERT_EQ(table["columnDefinitions"].size(), 2u);
  EXPECT_EQ(table["columnDefinitions"][1]["name"], "Age");
  EXPECT_EQ(table["rows"].size(), 1u);
}

TEST_F(Objects, ErrorsAreStatusObjectsWithMatchingCode) {
  std::vector<HttpResponse> responses = {
      http_->get(std::string(kVmPath) + "/missing"),
      http_->get(std::string(kVmPath) + "?labelSelector=%3D%3D"),
      http_->request("PATCH", std::string(kVmPath) + "/x", "{}", "text/plain"),
      http_->request("POST", std::string(kVmPath) + "/x", "{}")};
  for (const auto& resp : responses) {
    ASSERT_GE(resp.status, 400);
    json status = resp.json();
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["apiVersion"], "v1");
    EXPECT_EQ(status["status"], "Failure");
    EXPECT_EQ(status["code"], resp.status);
  }
}

}  // namespace
}  // namespace univirt::testing
