#include "kube-lite/openapi.h"

#include <functional>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

std::string gvPath(const ResourceType& type) {
  return type.group.empty() ? "api/" + type.version : "apis/" + type.group + "/" + type.version;
}

std::string schemaName(const ResourceType& type) {
  if (type.group.empty()) {
    return "io.k8s.api.core." + type.version + "." + type.kind;
  }
  // Reverse-DNS group: doslab.io -> io.doslab
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = type.group.find('.', start);
    parts.push_back(type.group.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += *it + ".";
  }
  return out + type.version + "." + type.kind;
}

json queryParam(const std::string& name, const std::string& type) {
  return {{"name", name}, {"in", "query"}, {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

json kindSchema(const ResourceType& type) {
  json schema = type.schema.is_object()
                    ? type.schema
                    : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  if (!schema.contains("description")) {
    schema["description"] = type.description;
  }
  if (!schema.contains("properties")) {
    schema["properties"] = json::object();
  }
  json& props = schema["properties"];
  props["apiVersion"] = {
      {"type", "string"},
      {"description",
       "APIVersion defines the versioned schema of this representation of an object."}};
  props["kind"] = {{"type", "string"},
                   {"description",
                    "Kind is a string value representing the REST resource this "
                    "object represents."}};
  props["metadata"] = {{"type", "object"},
                       {"description",
                        "Standard object's metadata. More info: "
                        "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                        "api-conventions.md#metadata"}};
  schema["x-kubernetes-group-version-kind"] =
      json::array({{{"group", type.group}, {"kind", type.kind}, {"version", type.version}}});
  return schema;
}

json itemPath(const ResourceType& type) {
  json gvk = {{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
  json ref = {{"$ref", "#/components/schemas/" + schemaName(type)}};
  json ok = {{"description", "OK"}, {"content", {{"application/json", {{"schema", ref}}}}}};
  json patch = {
      {"operationId", "patch" + type.kind},
      {"x-kubernetes-action", "patch"},
      {"x-kubernetes-group-version-kind", gvk},
      {"parameters",
       json::array({queryParam("dryRun", "string"), queryParam("fieldManager", "string"),
                    queryParam("fieldValidation", "string"), queryParam("force", "boolean")})},
      {"requestBody",
       {{"content",
         {{"application/json-patch+json", {{"schema", {{"type", "object"}}}}},
          {"application/merge-patch+json", {{"schema", {{"type", "object"}}}}},
          {"application/apply-patch+yaml", {{"schema", {{"type", "object"}}}}}}},
        {"required", true}}},
      {"responses", {{"200", ok}}}};
  if (type.builtin) {
    patch["requestBody"]["content"]["application/strategic-merge-patch+json"] = {
        {"schema", {{"type", "object"}}}};
  }
  json get = {{"operationId", "read" + type.kind},
              {"x-kubernetes-action", "get"},
              {"x-kubernetes-group-version-kind", gvk},
              {"responses", {{"200", ok}}}};
  json put = {{"operationId", "replace" + type.kind},
              {"x-kubernetes-action", "put"},
              {"x-kubernetes-group-version-kind", gvk},
              {"parameters",
               json::array({queryParam("dryRun", "string"), queryParam("fieldManager", "string"),
                            queryParam("fieldValidation", "string")})},
              {"responses", {{"200", ok}}}};
  return {{"get", get}, {"put", put}, {"patch", patch}};
}

std::string itemPathName(const ResourceType& type) {
  std::string base = "/" + gvPath(type);
  if (type.namespaced) {
    return base + "/namespaces/{namespace}/" + type.plural + "/{name}";
  }
  return base + "/" + type.plural + "/{name}";
}

std::string hashOf(const json& doc) {
  return fmt::format("{:016X}", std::hash<std::string>{}(doc.dump()));
}

}  // namespace

std::optional<json> openApiGroupVersion(const RegistrySnapshot& snap, const std::string& gv_path) {
  json paths = json::object();
  json schemas = json::object();
  bool found = false;
  for (const auto& type : *snap) {
    if (gvPath(type) != gv_path) {
      continue;
    }
    found = true;
    paths[itemPathName(type)] = itemPath(type);
    schemas[schemaName(type)] = kindSchema(type);
  }
  if (!found) {
    return std::nullopt;
  }
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes CRD Swagger"}, {"version", "v0.1.0"}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
}

json openApiIndex(const RegistrySnapshot& snap) {
  json paths = json::object();
  for (const auto& type : *snap) {
    std::string gv = gvPath(type);
    if (paths.contains(gv)) {
      continue;
    }
    auto doc = openApiGroupVersion(snap, gv);
    paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hashOf(*doc)}};
  }
  return {{"paths", paths}};
}

}  // namespace univirt::kubelite
