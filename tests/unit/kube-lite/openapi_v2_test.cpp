#include "kube-lite/openapi_v2.h"

#include <functional>

#include <gtest/gtest.h>

#include "kube-lite/openapi_v2_protobuf.h"
#include "kube-lite/openapi_v2_schema.h"
#include "unit/kube-lite/openapi_v2_fixture.h"

namespace univirt::kubelite {
namespace {

using nlohmann::json;

RegistrySnapshot registryWith(const std::vector<json>& crds) {
  ResourceRegistry registry;
  registry.setCustomResourceDefinitions(crds);
  return registry.snapshot();
}

std::string itemPath(const ResourceType& type) {
  std::string base =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  return base + (type.namespaced ? "/namespaces/{namespace}/" : "/") + type.plural + "/{name}";
}

bool hasQueryParam(const json& operation, const std::string& name) {
  for (const auto& param : operation.value("parameters", json::array())) {
    // Compared as JSON: GCC 12 -O2 reports a false -Wnull-dereference for value(key, "").
    if (param.contains("name") && param["name"] == json(name) && param.contains("in") &&
        param["in"] == json("query")) {
      return true;
    }
  }
  return false;
}

void forEachRef(const json& node, const std::function<void(const std::string&)>& visit) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        visit(value.get<std::string>());
      } else {
        forEachRef(value, visit);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node) {
      forEachRef(item, visit);
    }
  }
}

TEST(OpenApiV2Document, EveryServedResourceHasOperationsWithActionGvkAndFieldValidation) {
  auto snap = registryWith({testing::widgetCrd(), testing::gadgetCrd()});
  json doc = openApiV2Document(snap, "27");
  EXPECT_EQ(doc["swagger"], "2.0");
  EXPECT_EQ(doc["info"]["version"], "v1.27.0-kubelite");
  const json& paths = doc["paths"];
  for (const auto& type : *snap) {
    SCOPED_TRACE(type.apiVersion() + " " + type.plural);
    std::string item = itemPath(type);
    std::string collection = item.substr(0, item.size() - std::string("/{name}").size());
    ASSERT_TRUE(paths.contains(item));
    ASSERT_TRUE(paths.contains(collection));
    json gvk = {{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
    const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
        {item, "get", "get"},
        {item, "put", "put"},
        {item, "patch", "patch"},
        {item, "delete", "delete"},
        {collection, "get", "list"},
        {collection, "post", "post"},
        {collection, "delete", "deletecollection"}};
    for (const auto& [path, method, action] : expected) {
      const json& op = paths[path][method];
      EXPECT_EQ(op["x-kubernetes-action"], action) << path << " " << method;
      EXPECT_EQ(op["x-kubernetes-group-version-kind"], gvk) << path << " " << method;
      bool writes = method == "put" || method == "patch" || method == "post";
      EXPECT_EQ(hasQueryParam(op, "fieldValidation"), writes) << path << " " << method;
    }
    EXPECT_EQ(paths.contains(item + "/status"), type.has_status);
    if (type.has_status) {
      EXPECT_TRUE(hasQueryParam(paths[item + "/status"]["patch"], "fieldValidation"));
    }
    bool smp = false;
    for (const auto& media : paths[item]["patch"]["consumes"]) {
      smp = smp || media == "application/strategic-merge-patch+json";
    }
    EXPECT_EQ(smp, type.builtin);
  }
  EXPECT_TRUE(paths.contains("/apis/example.com/v1/widgets"));  // all namespaces
  EXPECT_FALSE(paths.contains("/apis/example.com/v1alpha1/namespaces/{namespace}/widgets"));
  EXPECT_TRUE(paths.contains("/api/v1/namespaces/{name}/finalize"));
}

TEST(OpenApiV2Document, ServedCrdVersionsHaveDefinitionsWithListFormGvk) {
  json doc = openApiV2Document(registryWith({testing::widgetCrd(), testing::gadgetCrd()}), "27");
  const json& defs = doc["definitions"];
  for (const char* version : {"v1", "v1beta1"}) {
    std::string name = std::string("com.example.") + version + ".Widget";
    ASSERT_TRUE(defs.contains(name)) << name;
    EXPECT_EQ(defs[name]["x-kubernetes-group-version-kind"],
              json::array({{{"group", "example.com"}, {"version", version}, {"kind", "Widget"}}}));
    EXPECT_EQ(defs[name]["properties"]["spec"]["required"], json::array({"cpu"}));
    EXPECT_EQ(defs[name]["properties"]["spec"]["properties"]["cpu"]["minimum"], 1);
    EXPECT_EQ(defs[name]["properties"]["metadata"]["$ref"], kObjectMetaRef);
    EXPECT_EQ(defs[name]["properties"]["kind"]["type"], "string");
    EXPECT_EQ(defs[name]["description"], "Widget is a test kind.");
    std::string list = name + "List";
    ASSERT_TRUE(defs.contains(list));
    EXPECT_EQ(defs[list]["properties"]["items"]["items"]["$ref"], "#/definitions/" + name);
    EXPECT_EQ(defs[list]["x-kubernetes-group-version-kind"][0]["kind"], "WidgetList");
  }
  EXPECT_FALSE(defs.contains("com.example.v1alpha1.Widget"));
  const json& gadget = defs["org.example.gadgets.v2.Gadget"];
  const json& spec = gadget["properties"]["spec"];
  EXPECT_EQ(spec["required"], json::array({"name"}));  // "note" is nullable
  EXPECT_EQ(spec["properties"]["note"], json::object());
  EXPECT_EQ(spec["properties"]["port"], json({{"x-kubernetes-int-or-string", true}}));
  EXPECT_FALSE(spec["properties"]["mode"].contains("oneOf"));
  EXPECT_FALSE(spec["properties"]["extra"].contains("properties"));
  EXPECT_EQ(spec["properties"]["template"]["properties"]["metadata"]["$ref"], kObjectMetaRef);
  EXPECT_TRUE(defs.contains("org.example.gadgets.v2.GadgetList"));
}

TEST(OpenApiV2Document, BuiltinKindsHaveNoDefinitionAndEveryReferenceResolves) {
  json doc = openApiV2Document(registryWith({testing::widgetCrd(), testing::gadgetCrd()}), "30");
  const json& defs = doc["definitions"];
  for (const auto& [name, def] : defs.items()) {
    EXPECT_EQ(name.rfind("io.k8s.api.", 0), std::string::npos) << name;
  }
  int refs = 0;
  forEachRef(doc, [&](const std::string& ref) {
    ++refs;
    ASSERT_EQ(ref.rfind("#/definitions/", 0), 0u) << ref;
    EXPECT_TRUE(defs.contains(ref.substr(std::string("#/definitions/").size()))) << ref;
  });
  EXPECT_GT(refs, 50);
  // Built-in responses carry no schema; custom ones refer to their kind.
  EXPECT_FALSE(doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["get"]["responses"]["200"]
                   .contains("schema"));
  EXPECT_EQ(doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["get"]
               ["responses"]["200"]["schema"]["$ref"],
            "#/definitions/com.example.v1.Widget");
}

TEST(OpenApiV2Document, RootThatKeepsUnknownFieldsIsABareObject) {
  json crd = testing::widgetCrd();
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"] =
      true;
  json doc = openApiV2Document(registryWith({crd}), "27");
  const json& def = doc["definitions"]["com.example.v1.Widget"];
  EXPECT_EQ(def["type"], "object");
  EXPECT_FALSE(def.contains("properties"));
  EXPECT_TRUE(def["x-kubernetes-group-version-kind"].is_array());
}

TEST(OpenApiV2Document, EncodesAsProtobufAndTheEncoderRejectsKeysItDoesNotKnow) {
  json doc = openApiV2Document(registryWith({testing::widgetCrd(), testing::gadgetCrd()}), "27");
  auto encoded = encodeOpenApiV2Protobuf(doc);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().message;
  EXPECT_GT(encoded->size(), 10000u);

  json bad = doc;
  bad["definitions"]["com.example.v1.Widget"]["properties"]["spec"]["nullable"] = true;
  auto rejected = encodeOpenApiV2Protobuf(bad);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find("'/definitions/com.example.v1.Widget/properties/spec/"
                                          "nullable'"),
            std::string::npos)
      << rejected.error().message;
  json bad_path = doc;
  bad_path["paths"]["/api/v1/namespaces/{name}"]["trace"] = json::object();
  rejected = encodeOpenApiV2Protobuf(bad_path);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find("'/paths/~1api~1v1~1namespaces~1{name}/trace'"),
            std::string::npos)
      << rejected.error().message;
}

Request get(const std::string& accept, const std::string& if_none_match = "") {
  Request req;
  req.method = "GET";
  req.path = "/openapi/v2";
  if (!accept.empty()) {
    req.headers["accept"] = accept;
  }
  if (!if_none_match.empty()) {
    req.headers["if-none-match"] = if_none_match;
  }
  return req;
}

std::string header(const OpenApiV2Response& resp, const std::string& name) {
  for (const auto& [key, value] : resp.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

TEST(OpenApiV2Endpoint, NegotiatesJsonOrProtobufByAcceptAndRefusesOthers) {
  auto snap = registryWith({testing::widgetCrd()});
  OpenApiV2Endpoint endpoint;
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto proto = endpoint.serve(get(kOpenApiV2Protobuf), snap, "27", false, now);
  ASSERT_TRUE(proto.has_value());
  EXPECT_EQ(proto->status, 200);
  EXPECT_EQ(proto->content_type, kOpenApiV2ProtobufAlias);
  EXPECT_EQ(proto->body, *encodeOpenApiV2Protobuf(openApiV2Document(snap, "27")));
  EXPECT_EQ(header(*proto, "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(header(*proto, "Vary"), "Accept");

  auto alias = endpoint.serve(get(std::string(kOpenApiV2ProtobufAlias) + ";q=0.9, text/html;q=0.1"),
                              snap, "27", false, now);
  EXPECT_EQ(alias->content_type, kOpenApiV2ProtobufAlias);
  for (const char* accept : {"application/json", "*/*", "", "text/plain;q=0.5, application/*"}) {
    auto json_resp = endpoint.serve(get(accept), snap, "27", false, now);
    ASSERT_TRUE(json_resp.has_value());
    EXPECT_EQ(json_resp->content_type, "application/json") << accept;
    EXPECT_EQ(json::parse(json_resp->body), openApiV2Document(snap, "27")) << accept;
  }
  EXPECT_EQ(endpoint.serve(get("text/html"), snap, "27", false, now)->status, 406);
  EXPECT_EQ(endpoint.serve(get("application/json;q=0"), snap, "27", false, now)->status, 406);
  auto legacy = endpoint.serve(get("application/json"), snap, "27", true, now);
  EXPECT_EQ(legacy->content_type, kOpenApiV2ProtobufAlias);
}

TEST(OpenApiV2Endpoint, EtagAnswersNotModifiedAndChangesWhenCrdsChange) {
  ResourceRegistry registry;
  OpenApiV2Endpoint endpoint;
  auto now = std::chrono::system_clock::now();
  auto first = endpoint.serve(get("application/json"), registry.snapshot(), "27", false, now);
  std::string etag = header(*first, "ETag");
  ASSERT_EQ(etag.size(), 2u + 128u);  // quoted SHA-512 hex
  EXPECT_EQ(etag.front(), '"');
  auto again = endpoint.serve(get("application/json", etag), registry.snapshot(), "27", false, now);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto weak = endpoint.serve(get("application/json", "\"x\", W/" + etag), registry.snapshot(), "27",
                             false, now);
  EXPECT_EQ(weak->status, 304);
  auto proto = endpoint.serve(get(kOpenApiV2Protobuf, etag), registry.snapshot(), "27", false, now);
  EXPECT_EQ(proto->status, 200);  // each encoding has its own entity tag
  EXPECT_NE(header(*proto, "ETag"), etag);

  registry.setCustomResourceDefinitions({testing::widgetCrd()});
  auto changed =
      endpoint.serve(get("application/json", etag), registry.snapshot(), "27", false, now);
  EXPECT_EQ(changed->status, 200);
  EXPECT_NE(header(*changed, "ETag"), etag);
  EXPECT_TRUE(json::parse(changed->body)["definitions"].contains("com.example.v1.Widget"));

  registry.setCustomResourceDefinitions({});
  auto removed = endpoint.serve(get("application/json"), registry.snapshot(), "27", false, now);
  EXPECT_EQ(header(*removed, "ETag"), etag);
  EXPECT_FALSE(json::parse(removed->body)["definitions"].contains("com.example.v1.Widget"));
}

}  // namespace
}  // namespace univirt::kubelite
