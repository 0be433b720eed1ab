// The Swagger 2.0 document (openapi_v2.h): paths for every served resource, definitions for
// every served CRD version. Shapes follow kube-apiserver's /openapi/v2 (operation ids, tags,
// parameters, responses), inline parameters instead of #/parameters references.

#include "kube-lite/openapi_v2.h"

#include <cctype>

#include <fmt/format.h>

#include "kube-lite/openapi_v2_schema.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

constexpr const char* kApiVersionDescription =
    "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#resources";
constexpr const char* kKindDescription =
    "Kind is a string value representing the REST resource this object represents. Servers "
    "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
    "CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#types-kinds";
constexpr const char* kMetadataDescription =
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";
constexpr const char* kFieldValidationDescription =
    "fieldValidation instructs the server on how to handle objects in the request "
    "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: "
    "silently drop unknown fields. - Warn: drop them and send a warning for each. - Strict: "
    "fail the request with a BadRequest error naming them.";

// "doslab.io" -> {"doslab", "io"}; '-' splits too ("apiextensions-apiserver").
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == '.' || c == '-') {
      out.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  out.push_back(word);
  return out;
}

std::string capitalized(std::string word) {
  if (!word.empty()) {
    word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  }
  return word;
}

// Operation-id part for a group: "" -> Core, "rbac.authorization.k8s.io" ->
// RbacAuthorization, "doslab.io" -> DoslabIo (kube-apiserver drops ".k8s.io").
std::string groupWord(const std::string& group) {
  if (group.empty()) {
    return "Core";
  }
  std::string trimmed = group;
  const std::string suffix = ".k8s.io";
  if (trimmed.size() > suffix.size() &&
      trimmed.compare(trimmed.size() - suffix.size(), suffix.size(), suffix) == 0) {
    trimmed.resize(trimmed.size() - suffix.size());
  }
  std::string out;
  for (const auto& word : words(trimmed)) {
    out += capitalized(word);
  }
  return out;
}

// Definition name: reverse-DNS group, version, kind ("io.doslab.v1.VirtualMachine").
std::string definitionName(const ResourceType& type, const std::string& kind) {
  auto parts = words(type.group);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += *it + ".";
  }
  return out + type.version + "." + kind;
}

json gvkObject(const ResourceType& type) {
  return {{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
}

json queryParam(const std::string& name, const std::string& type, const std::string& text) {
  return {{"name", name},
          {"in", "query"},
          {"type", type},
          {"uniqueItems", true},
          {"description", text}};
}

json pathParam(const std::string& name, const std::string& text) {
  return {{"name", name},     {"in", "path"},        {"required", true},
          {"type", "string"}, {"uniqueItems", true}, {"description", text}};
}

json writeParams(bool patch) {
  json params = json::array(
      {queryParam("dryRun", "string",
                  "When present, indicates that modifications should not be persisted. Valid "
                  "values are: - All: all dry run stages will be processed"),
       queryParam("fieldManager", "string",
                  "fieldManager is a name associated with the actor or entity that is making "
                  "these changes."),
       queryParam("fieldValidation", "string", kFieldValidationDescription)});
  if (patch) {
    params.push_back(queryParam("force", "boolean",
                                "Force is going to \"force\" Apply requests. It means user will "
                                "re-acquire conflicting fields owned by other people."));
  }
  return params;
}

json listParams() {
  return json::array(
      {queryParam("allowWatchBookmarks", "boolean",
                  "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
       queryParam("continue", "string",
                  "The continue option should be set when retrieving more results from the "
                  "server."),
       queryParam("fieldSelector", "string",
                  "A selector to restrict the list of returned objects by their fields."),
       queryParam("labelSelector", "string",
                  "A selector to restrict the list of returned objects by their labels."),
       queryParam("limit", "integer", "limit is a maximum number of responses to return."),
       queryParam("resourceVersion", "string",
                  "resourceVersion sets a constraint on what resource versions a request may "
                  "be served from."),
       queryParam("resourceVersionMatch", "string",
                  "resourceVersionMatch determines how resourceVersion is applied to list "
                  "calls."),
       queryParam("sendInitialEvents", "boolean",
                  "`sendInitialEvents=true` may be set together with `watch=true`."),
       queryParam("timeoutSeconds", "integer",
                  "Timeout for the list/watch call, regardless of any activity or inactivity."),
       queryParam("watch", "boolean",
                  "Watch for changes to the described resources and return them as a stream of "
                  "add, update, and remove notifications.")});
}

json deleteParams() {
  return json::array(
      {queryParam("dryRun", "string",
                  "When present, indicates that modifications should not be persisted."),
       queryParam("gracePeriodSeconds", "integer",
                  "The duration in seconds before the object should be deleted."),
       queryParam("propagationPolicy", "string",
                  "Whether and how garbage collection will be performed: 'Orphan', "
                  "'Background' or 'Foreground'.")});
}

json bodyParam(const json& schema, bool required) {
  return {{"name", "body"}, {"in", "body"}, {"required", required}, {"schema", schema}};
}

// What one resource contributes: the definitions it refers to and the operation scaffolding.
class ResourcePaths {
 public:
  ResourcePaths(const ResourceType& type, bool has_definition)
      : type_(type), has_definition_(has_definition) {
    prefix_ = groupWord(type.group) + capitalized(type.version);
    std::string tag_group = groupWord(type.group);
    tag_group[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(tag_group[0])));
    tag_ = tag_group + "_" + type.version;
    base_ =
        type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  }

  void addTo(json& paths) const {
    std::string scope = type_.namespaced ? "Namespaced" : "";
    std::string collection = type_.namespaced ? base_ + "/namespaces/{namespace}/" + type_.plural
                                              : base_ + "/" + type_.plural;
    json collection_item = {
        {"get", op("list", "list" + prefix_ + scope + type_.kind,
                   "list or watch objects of kind " + type_.kind, listParams(),
                   responses({"200"}, listSchema()))},
        {"post", op("post", "create" + prefix_ + scope + type_.kind, "create " + articleKind(),
                    withBody(writeParams(false), objectSchema(), true),
                    responses({"200", "201", "202"}, objectSchema()))},
        {"delete", op("deletecollection", "delete" + prefix_ + "Collection" + scope + type_.kind,
                      "delete collection of " + type_.kind, concat(listParams(), deleteParams()),
                      responses({"200"}, json{{"$ref", kStatusRef}}))},
        {"parameters", scopeParams(false)}};
    paths[collection] = collection_item;

    std::string item = collection + "/{name}";
    paths[item] = {
        {"get", op("get", "read" + prefix_ + scope + type_.kind, "read the specified " + type_.kind,
                   json::array(), responses({"200"}, objectSchema()))},
        {"put",
         op("put", "replace" + prefix_ + scope + type_.kind, "replace the specified " + type_.kind,
            withBody(writeParams(false), objectSchema(), true),
            responses({"200", "201"}, objectSchema()))},
        {"patch", patchOp("partially update the specified " + type_.kind,
                          "patch" + prefix_ + scope + type_.kind)},
        {"delete", op("delete", "delete" + prefix_ + scope + type_.kind, "delete " + articleKind(),
                      deleteParams(), responses({"200", "202"}, json{{"$ref", kStatusRef}}))},
        {"parameters", scopeParams(true)}};

    if (type_.has_status) {
      paths[item + "/status"] = {
          {"get", op("get", "read" + prefix_ + scope + type_.kind + "Status",
                     "read status of the specified " + type_.kind, json::array(),
                     responses({"200"}, objectSchema()))},
          {"put", op("put", "replace" + prefix_ + scope + type_.kind + "Status",
                     "replace status of the specified " + type_.kind,
                     withBody(writeParams(false), objectSchema(), true),
                     responses({"200", "201"}, objectSchema()))},
          {"patch", patchOp("partially update status of the specified " + type_.kind,
                            "patch" + prefix_ + scope + type_.kind + "Status")},
          {"parameters", scopeParams(true)}};
    }
    if (type_.group.empty() && type_.plural == "namespaces") {
      paths[item + "/finalize"] = {{"put", op("put", "replace" + prefix_ + "NamespaceFinalize",
                                              "replace finalize of the specified Namespace",
                                              withBody(writeParams(false), objectSchema(), true),
                                              responses({"200", "201"}, objectSchema()))},
                                   {"parameters", scopeParams(true)}};
    }
    if (type_.namespaced) {
      paths[base_ + "/" + type_.plural] = {
          {"get", op("list", "list" + prefix_ + type_.kind + "ForAllNamespaces",
                     "list or watch objects of kind " + type_.kind, listParams(),
                     responses({"200"}, listSchema()))}};
    }
  }

 private:
  std::string articleKind() const { return "a " + type_.kind; }

  json objectSchema() const {
    if (!has_definition_) {
      return nullptr;
    }
    return {{"$ref", "#/definitions/" + definitionName(type_, type_.kind)}};
  }

  json listSchema() const {
    if (!has_definition_) {
      return nullptr;
    }
    return {{"$ref", "#/definitions/" + definitionName(type_, listKind())}};
  }

  std::string listKind() const {
    return type_.list_kind.empty() ? type_.kind + "List" : type_.list_kind;
  }

  static json concat(json a, const json& b) {
    for (const auto& item : b) {
      a.push_back(item);
    }
    return a;
  }

  static json withBody(json params, const json& schema, bool required) {
    params.insert(params.begin(),
                  bodyParam(schema.is_null() ? json{{"type", "object"}} : schema, required));
    return params;
  }

  static json responses(std::initializer_list<const char*> codes, const json& schema) {
    json out = json::object();
    for (const char* code : codes) {
      std::string text = std::string(code) == "200"   ? "OK"
                         : std::string(code) == "201" ? "Created"
                                                      : "Accepted";
      out[code] = {{"description", text}};
      if (!schema.is_null()) {
        out[code]["schema"] = schema;
      }
    }
    out["401"] = {{"description", "Unauthorized"}};
    return out;
  }

  json scopeParams(bool named) const {
    json params = json::array();
    if (named) {
      params.push_back(pathParam("name", "name of the " + type_.kind));
    }
    if (type_.namespaced) {
      params.push_back(
          pathParam("namespace", "object name and auth scope, such as for teams and projects"));
    }
    params.push_back(
        queryParam("pretty", "string", "If 'true', then the output is pretty printed."));
    return params;
  }

  json op(const std::string& action, const std::string& id, const std::string& description,
          json params, json responses) const {
    json operation = {{"description", description},
                      {"consumes", json::array({"*/*"})},
                      {"produces", json::array({"application/json", "application/yaml"})},
                      {"schemes", json::array({"https"})},
                      {"tags", json::array({tag_})},
                      {"operationId", id},
                      {"responses", std::move(responses)},
                      {"x-kubernetes-action", action},
                      {"x-kubernetes-group-version-kind", gvkObject(type_)}};
    if (!params.empty()) {
      operation["parameters"] = std::move(params);
    }
    return operation;
  }

  json patchOp(const std::string& description, const std::string& id) const {
    json body = {{"type", "object"},
                 {"description",
                  "Patch is provided to give a concrete name and type to the Kubernetes PATCH "
                  "request body."}};
    json patch = op("patch", id, description, withBody(writeParams(true), body, true),
                    responses({"200", "201"}, objectSchema()));
    json consumes = json::array({"application/json-patch+json", "application/merge-patch+json"});
    if (type_.builtin) {
      consumes.push_back("application/strategic-merge-patch+json");
    }
    consumes.push_back("application/apply-patch+yaml");
    patch["consumes"] = consumes;
    return patch;
  }

  const ResourceType& type_;
  bool has_definition_;
  std::string prefix_;
  std::string tag_;
  std::string base_;
};

// kube-apiserver's buildKubeNative for OpenAPI v2: a root that keeps unknown fields is published
// as a bare object (properties would make kubectl reject the unknown ones).
json kindDefinition(const ResourceType& type) {
  json v3 = type.schema.is_object()
                ? type.schema
                : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  json out;
  if (v3.value("x-kubernetes-preserve-unknown-fields", false)) {
    out = {{"type", "object"}};
    if (!type.description.empty()) {
      out["description"] = type.description;
    }
  } else {
    out = toOpenApiV2Schema(v3);
    json& properties = out["properties"];
    properties["metadata"] = {{"$ref", kObjectMetaRef}, {"description", kMetadataDescription}};
    properties["apiVersion"] = {{"type", "string"}, {"description", kApiVersionDescription}};
    properties["kind"] = {{"type", "string"}, {"description", kKindDescription}};
    addEmbeddedResourceProperties(out);
  }
  out["x-kubernetes-group-version-kind"] = json::array({gvkObject(type)});
  return out;
}

json listDefinition(const ResourceType& type, const std::string& list_kind) {
  return {{"description", fmt::format("{} is a list of {}", list_kind, type.kind)},
          {"type", "object"},
          {"required", json::array({"items"})},
          {"properties",
           {{"apiVersion", {{"type", "string"}, {"description", kApiVersionDescription}}},
            {"kind", {{"type", "string"}, {"description", kKindDescription}}},
            {"metadata", {{"$ref", kListMetaRef}, {"description", kMetadataDescription}}},
            {"items",
             {{"type", "array"},
              {"description", fmt::format("List of {}. More info: "
                                          "https://git.k8s.io/community/contributors/devel/"
                                          "sig-architecture/api-conventions.md",
                                          type.plural)},
              {"items", {{"$ref", "#/definitions/" + definitionName(type, type.kind)}}}}}}},
          {"x-kubernetes-group-version-kind",
           json::array({{{"group", type.group}, {"version", type.version}, {"kind", list_kind}}})}};
}

}  // namespace

json openApiV2Document(const RegistrySnapshot& snap, const std::string& minor) {
  json paths = json::object();
  json definitions = metaV1Definitions();
  for (const auto& type : *snap) {
    bool has_definition = !type.builtin;
    if (has_definition) {
      std::string list_kind = type.list_kind.empty() ? type.kind + "List" : type.list_kind;
      definitions[definitionName(type, type.kind)] = kindDefinition(type);
      definitions[definitionName(type, list_kind)] = listDefinition(type, list_kind);
    }
    ResourcePaths(type, has_definition).addTo(paths);
  }
  return {{"swagger", "2.0"},
          {"info", {{"title", "Kubernetes"}, {"version", fmt::format("v1.{}.0-kubelite", minor)}}},
          {"paths", std::move(paths)},
          {"definitions", std::move(definitions)},
          {"securityDefinitions",
           {{"BearerToken",
             {{"type", "apiKey"},
              {"name", "authorization"},
              {"in", "header"},
              {"description", "Bearer Token authentication"}}}}},
          {"security", json::array({{{"BearerToken", json::array()}}})}};
}

}  // namespace univirt::kubelite
