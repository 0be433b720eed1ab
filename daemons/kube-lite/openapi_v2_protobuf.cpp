#include "kube-lite/openapi_v2_protobuf.h"

#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "kube-lite/openapi_v2_protobuf_fields.h"
#include "kube-lite/protobuf_writer.h"

// Field numbers are those of gnostic-models openapiv2/OpenAPIv2.proto; each table names its
// message. tests/unit/kube-lite/openapi_v2_protobuf_test.cpp decodes the output with protoc and
// that .proto file.

namespace univirt::kubelite {

using nlohmann::json;

namespace {

using Kind = ProtoFieldKind;
using Field = ProtoField;

constexpr Field kSchemaFields[] = {
    {"$ref", 1, Kind::String},           {"format", 2, Kind::String},
    {"title", 3, Kind::String},          {"description", 4, Kind::String},
    {"default", 5, Kind::Any},           {"multipleOf", 6, Kind::Double},
    {"maximum", 7, Kind::Double},        {"exclusiveMaximum", 8, Kind::Bool},
    {"minimum", 9, Kind::Double},        {"exclusiveMinimum", 10, Kind::Bool},
    {"maxLength", 11, Kind::Int64},      {"minLength", 12, Kind::Int64},
    {"pattern", 13, Kind::String},       {"maxItems", 14, Kind::Int64},
    {"minItems", 15, Kind::Int64},       {"uniqueItems", 16, Kind::Bool},
    {"maxProperties", 17, Kind::Int64},  {"minProperties", 18, Kind::Int64},
    {"required", 19, Kind::StringList},  {"enum", 20, Kind::AnyList},
    {"discriminator", 26, Kind::String}, {"readOnly", 27, Kind::Bool},
    {"example", 30, Kind::Any}};
constexpr int kSchemaVendor = 31;

// QueryParameterSubSchema.
constexpr Field kQueryFields[] = {
    {"required", 1, Kind::Bool},          {"in", 2, Kind::String},
    {"description", 3, Kind::String},     {"name", 4, Kind::String},
    {"allowEmptyValue", 5, Kind::Bool},   {"type", 6, Kind::String},
    {"format", 7, Kind::String},          {"collectionFormat", 9, Kind::String},
    {"default", 10, Kind::Any},           {"maximum", 11, Kind::Double},
    {"exclusiveMaximum", 12, Kind::Bool}, {"minimum", 13, Kind::Double},
    {"exclusiveMinimum", 14, Kind::Bool}, {"maxLength", 15, Kind::Int64},
    {"minLength", 16, Kind::Int64},       {"pattern", 17, Kind::String},
    {"maxItems", 18, Kind::Int64},        {"minItems", 19, Kind::Int64},
    {"uniqueItems", 20, Kind::Bool},      {"enum", 21, Kind::AnyList},
    {"multipleOf", 22, Kind::Double}};
constexpr int kQueryItems = 8;
constexpr int kQueryVendor = 23;

// PathParameterSubSchema and HeaderParameterSubSchema share these numbers.
constexpr Field kPathFields[] = {{"required", 1, Kind::Bool},
                                 {"in", 2, Kind::String},
                                 {"description", 3, Kind::String},
                                 {"name", 4, Kind::String},
                                 {"type", 5, Kind::String},
                                 {"format", 6, Kind::String},
                                 {"collectionFormat", 8, Kind::String},
                                 {"default", 9, Kind::Any},
                                 {"maximum", 10, Kind::Double},
                                 {"exclusiveMaximum", 11, Kind::Bool},
                                 {"minimum", 12, Kind::Double},
                                 {"exclusiveMinimum", 13, Kind::Bool},
                                 {"maxLength", 14, Kind::Int64},
                                 {"minLength", 15, Kind::Int64},
                                 {"pattern", 16, Kind::String},
                                 {"maxItems", 17, Kind::Int64},
                                 {"minItems", 18, Kind::Int64},
                                 {"uniqueItems", 19, Kind::Bool},
                                 {"enum", 20, Kind::AnyList},
                                 {"multipleOf", 21, Kind::Double}};
constexpr int kPathItems = 7;
constexpr int kPathVendor = 22;

// PrimitivesItems.
constexpr Field kPrimitivesFields[] = {{"type", 1, Kind::String},
                                       {"format", 2, Kind::String},
                                       {"collectionFormat", 4, Kind::String},
                                       {"default", 5, Kind::Any},
                                       {"maximum", 6, Kind::Double},
                                       {"exclusiveMaximum", 7, Kind::Bool},
                                       {"minimum", 8, Kind::Double},
                                       {"exclusiveMinimum", 9, Kind::Bool},
                                       {"maxLength", 10, Kind::Int64},
                                       {"minLength", 11, Kind::Int64},
                                       {"pattern", 12, Kind::String},
                                       {"maxItems", 13, Kind::Int64},
                                       {"minItems", 14, Kind::Int64},
                                       {"uniqueItems", 15, Kind::Bool},
                                       {"enum", 16, Kind::AnyList},
                                       {"multipleOf", 17, Kind::Double}};
constexpr int kPrimitivesItems = 3;
constexpr int kPrimitivesVendor = 18;

constexpr Field kBodyFields[] = {{"description", 1, Kind::String},
                                 {"name", 2, Kind::String},
                                 {"in", 3, Kind::String},
                                 {"required", 4, Kind::Bool}};
constexpr int kBodySchema = 5;
constexpr int kBodyVendor = 6;

constexpr Field kOperationFields[] = {
    {"tags", 1, Kind::StringList},     {"summary", 2, Kind::String},
    {"description", 3, Kind::String},  {"operationId", 5, Kind::String},
    {"produces", 6, Kind::StringList}, {"consumes", 7, Kind::StringList},
    {"schemes", 10, Kind::StringList}, {"deprecated", 11, Kind::Bool}};
constexpr int kOperationVendor = 13;

constexpr Field kDocumentFields[] = {
    {"swagger", 1, Kind::String},      {"host", 3, Kind::String},
    {"basePath", 4, Kind::String},     {"schemes", 5, Kind::StringList},
    {"consumes", 6, Kind::StringList}, {"produces", 7, Kind::StringList}};
constexpr int kDocumentVendor = 16;

constexpr Field kInfoFields[] = {{"title", 1, Kind::String},
                                 {"version", 2, Kind::String},
                                 {"description", 3, Kind::String},
                                 {"termsOfService", 4, Kind::String}};
constexpr int kInfoVendor = 7;

constexpr Field kExternalDocsFields[] = {{"description", 1, Kind::String},
                                         {"url", 2, Kind::String}};
constexpr Field kJsonReferenceFields[] = {{"$ref", 1, Kind::String},
                                          {"description", 2, Kind::String}};
constexpr Field kApiKeyFields[] = {{"type", 1, Kind::String},
                                   {"name", 2, Kind::String},
                                   {"in", 3, Kind::String},
                                   {"description", 4, Kind::String}};
constexpr Field kBasicAuthFields[] = {{"type", 1, Kind::String}, {"description", 2, Kind::String}};
constexpr Field kTagFields[] = {{"name", 1, Kind::String}, {"description", 2, Kind::String}};

// Walks a Swagger 2.0 document as gnostic's message tree, one method per message.
class Encoder {
 public:
  ProtobufWriter document(const json& doc);
  const std::optional<util::Error>& error() const { return proto_.error(); }

 private:
  ProtobufWriter schema(const json& s, const std::string& where);
  ProtobufWriter primitivesItems(const json& items, const std::string& where);
  ProtobufWriter parametersItem(const json& p, const std::string& where);
  ProtobufWriter parameter(const json& p, const std::string& where);
  ProtobufWriter operation(const json& op, const std::string& where);
  ProtobufWriter pathItem(const json& item, const std::string& where);
  ProtobufWriter responses(const json& codes, const std::string& where);
  ProtobufWriter externalDocs(const json& docs, const std::string& where);
  ProtobufWriter securityDefinition(const json& def, const std::string& where);

  ProtoFieldEncoder proto_;
};

ProtobufWriter Encoder::externalDocs(const json& docs, const std::string& where) {
  ProtobufWriter out;
  proto_.fields(out, docs, kExternalDocsFields, 3, where);
  return out;
}

ProtobufWriter Encoder::schema(const json& s, const std::string& where) {
  ProtobufWriter out;
  proto_.fields(
      out, s, kSchemaFields, kSchemaVendor, where,
      [this](ProtobufWriter& w, const std::string& key, const json& value, const std::string& at) {
        if (key == "type") {
          ProtobufWriter type;  // TypeItem
          for (const auto& name : value.is_array() ? value : json::array({value})) {
            if (!name.is_string()) {
              proto_.fail(at, "expected a type name");
              continue;
            }
            type.bytesField(1, name.get_ref<const std::string&>());
          }
          w.messageField(22, type);
          return true;
        }
        if (key == "items") {
          ProtobufWriter items;  // ItemsItem
          for (const auto& item : value.is_array() ? value : json::array({value})) {
            items.messageField(1, schema(item, at));
          }
          w.messageField(23, items);
          return true;
        }
        if (key == "additionalProperties") {
          ProtobufWriter additional;  // AdditionalPropertiesItem: a oneof, always written
          if (value.is_boolean()) {
            additional.boolField(2, value.get<bool>());
          } else {
            additional.messageField(1, schema(value, at));
          }
          w.messageField(21, additional);
          return true;
        }
        if (key == "properties" && value.is_object()) {
          ProtobufWriter properties;  // Properties of NamedSchema
          for (const auto& [name, property] : value.items()) {
            ProtobufWriter named;
            named.bytesField(1, name);
            named.messageField(2, schema(property, at + "/" + pointerSegment(name)));
            properties.messageField(1, named);
          }
          w.messageField(25, properties);
          return true;
        }
        if (key == "allOf" && value.is_array()) {
          for (const auto& item : value) {
            w.messageField(24, schema(item, at));
          }
          return true;
        }
        if (key == "externalDocs") {
          w.messageField(29, externalDocs(value, at));
          return true;
        }
        return false;
      });
  return out;
}

ProtobufWriter Encoder::primitivesItems(const json& items, const std::string& where) {
  ProtobufWriter out;
  proto_.fields(
      out, items, kPrimitivesFields, kPrimitivesVendor, where,
      [this](ProtobufWriter& w, const std::string& key, const json& value, const std::string& at) {
        if (key != "items") {
          return false;
        }
        w.messageField(kPrimitivesItems, primitivesItems(value, at));
        return true;
      });
  return out;
}

ProtobufWriter Encoder::parameter(const json& p, const std::string& where) {
  ProtobufWriter out;  // Parameter: oneof body_parameter = 1, non_body_parameter = 2
  std::string in = p.is_object() ? p.value("in", "") : "";
  if (in == "body") {
    ProtobufWriter body;
    proto_.fields(body, p, kBodyFields, kBodyVendor, where,
                  [this](ProtobufWriter& w, const std::string& key, const json& value,
                         const std::string& at) {
                    if (key != "schema") {
                      return false;
                    }
                    w.messageField(kBodySchema, schema(value, at));
                    return true;
                  });
    out.messageField(1, body);
    return out;
  }
  bool query = in == "query";
  if (!query && in != "path" && in != "header") {
    proto_.fail(where, fmt::format("unsupported parameter location '{}'", in));
    return out;
  }
  int items_number = query ? kQueryItems : kPathItems;
  ProtobufWriter sub;
  proto_.fields(sub, p,
                query ? std::span<const Field>(kQueryFields) : std::span<const Field>(kPathFields),
                query ? kQueryVendor : kPathVendor, where,
                [this, items_number](ProtobufWriter& w, const std::string& key, const json& value,
                                     const std::string& at) {
                  if (key != "items") {
                    return false;
                  }
                  w.messageField(items_number, primitivesItems(value, at));
                  return true;
                });
  // NonBodyParameter: header = 1, form data = 2, query = 3, path = 4.
  ProtobufWriter non_body;
  non_body.messageField(query ? 3 : (in == "path" ? 4 : 1), sub);
  out.messageField(2, non_body);
  return out;
}

ProtobufWriter Encoder::parametersItem(const json& p, const std::string& where) {
  ProtobufWriter out;  // ParametersItem: oneof parameter = 1, json_reference = 2
  if (p.is_object() && p.contains("$ref")) {
    ProtobufWriter ref;
    proto_.fields(ref, p, kJsonReferenceFields, 0, where);
    out.messageField(2, ref);
    return out;
  }
  out.messageField(1, parameter(p, where));
  return out;
}

ProtobufWriter Encoder::responses(const json& codes, const std::string& where) {
  ProtobufWriter out;
  proto_.fields(
      out, codes, {}, 2, where,
      [this](ProtobufWriter& w, const std::string& code, const json& value, const std::string& at) {
        ProtobufWriter response_value;  // oneof response = 1, json_reference = 2
        if (value.is_object() && value.contains("$ref")) {
          ProtobufWriter ref;
          proto_.fields(ref, value, kJsonReferenceFields, 0, at);
          response_value.messageField(2, ref);
        } else {
          ProtobufWriter response;
          constexpr Field kResponseFields[] = {{"description", 1, Kind::String}};
          proto_.fields(response, value, kResponseFields, 5, at,
                        [this](ProtobufWriter& r, const std::string& key, const json& body,
                               const std::string& body_at) {
                          if (key != "schema") {
                            return false;
                          }
                          ProtobufWriter item;  // SchemaItem: oneof schema = 1, file_schema = 2
                          item.messageField(1, schema(body, body_at));
                          r.messageField(2, item);
                          return true;
                        });
          response_value.messageField(1, response);
        }
        ProtobufWriter named;  // NamedResponseValue
        named.bytesField(1, code);
        named.messageField(2, response_value);
        w.messageField(1, named);
        return true;
      });
  return out;
}

ProtobufWriter Encoder::operation(const json& op, const std::string& where) {
  ProtobufWriter out;
  proto_.fields(
      out, op, kOperationFields, kOperationVendor, where,
      [this](ProtobufWriter& w, const std::string& key, const json& value, const std::string& at) {
        if (key == "parameters" && value.is_array()) {
          for (size_t i = 0; i < value.size(); ++i) {
            w.messageField(8, parametersItem(value[i], at + "/" + std::to_string(i)));
          }
          return true;
        }
        if (key == "responses") {
          w.messageField(9, responses(value, at));
          return true;
        }
        if (key == "externalDocs") {
          w.messageField(4, externalDocs(value, at));
          return true;
        }
        return false;
      });
  return out;
}

ProtobufWriter Encoder::pathItem(const json& item, const std::string& where) {
  static constexpr std::pair<std::string_view, int> kMethods[] = {
      {"get", 2},     {"put", 3},  {"post", 4}, {"delete", 5},
      {"options", 6}, {"head", 7}, {"patch", 8}};
  ProtobufWriter out;
  constexpr Field kPathItemFields[] = {{"$ref", 1, Kind::String}};
  proto_.fields(
      out, item, kPathItemFields, 10, where,
      [this](ProtobufWriter& w, const std::string& key, const json& value, const std::string& at) {
        for (const auto& [method, number] : kMethods) {
          if (key == method) {
            w.messageField(number, operation(value, at));
            return true;
          }
        }
        if (key == "parameters" && value.is_array()) {
          for (size_t i = 0; i < value.size(); ++i) {
            w.messageField(9, parametersItem(value[i], at + "/" + std::to_string(i)));
          }
          return true;
        }
        return false;
      });
  return out;
}

ProtobufWriter Encoder::securityDefinition(const json& def, const std::string& where) {
  ProtobufWriter out;  // SecurityDefinitionsItem: basic = 1, apiKey = 2 (OAuth2 is not used)
  std::string type = def.is_object() ? def.value("type", "") : "";
  ProtobufWriter sub;
  if (type == "apiKey") {
    proto_.fields(sub, def, kApiKeyFields, 5, where);
    out.messageField(2, sub);
  } else if (type == "basic") {
    proto_.fields(sub, def, kBasicAuthFields, 3, where);
    out.messageField(1, sub);
  } else {
    proto_.fail(where, fmt::format("unsupported security definition type '{}'", type));
  }
  return out;
}

ProtobufWriter Encoder::document(const json& doc) {
  ProtobufWriter out;
  proto_.fields(
      out, doc, kDocumentFields, kDocumentVendor, "",
      [this](ProtobufWriter& w, const std::string& key, const json& value, const std::string& at) {
        if (key == "info") {
          ProtobufWriter info;
          proto_.fields(info, value, kInfoFields, kInfoVendor, at);
          w.messageField(2, info);
          return true;
        }
        if (key == "paths") {
          ProtobufWriter paths;  // Paths: vendor_extension = 1, path = 2
          proto_.fields(paths, value, {}, 1, at,
                        [this](ProtobufWriter& p, const std::string& name, const json& item,
                               const std::string& item_at) {
                          ProtobufWriter named;  // NamedPathItem
                          named.bytesField(1, name);
                          named.messageField(2, pathItem(item, item_at));
                          p.messageField(2, named);
                          return true;
                        });
          w.messageField(8, paths);
          return true;
        }
        if ((key == "definitions" || key == "parameters" || key == "securityDefinitions") &&
            value.is_object()) {
          // Definitions, ParameterDefinitions, SecurityDefinitions: additional_properties = 1
          ProtobufWriter map;
          for (const auto& [name, entry] : value.items()) {
            std::string entry_at = at + "/" + pointerSegment(name);
            ProtobufWriter named;
            named.bytesField(1, name);
            named.messageField(2, key == "definitions"  ? schema(entry, entry_at)
                                  : key == "parameters" ? parameter(entry, entry_at)
                                                        : securityDefinition(entry, entry_at));
            map.messageField(1, named);
          }
          w.messageField(key == "definitions" ? 9 : (key == "parameters" ? 10 : 13), map);
          return true;
        }
        if (key == "security" && value.is_array()) {
          for (const auto& requirement : value) {
            ProtobufWriter req;  // SecurityRequirement of NamedStringArray
            proto_.fields(req, requirement, {}, 0, at,
                          [this](ProtobufWriter& r, const std::string& name, const json& scopes,
                                 const std::string& scopes_at) {
                            ProtobufWriter array;  // StringArray
                            constexpr Field kValue = {"value", 1, Kind::StringList};
                            proto_.scalar(array, kValue, scopes, scopes_at);
                            ProtobufWriter named;
                            named.bytesField(1, name);
                            named.messageField(2, array);
                            r.messageField(1, named);
                            return true;
                          });
            w.messageField(12, req);
          }
          return true;
        }
        if (key == "tags" && value.is_array()) {
          for (const auto& tag : value) {
            ProtobufWriter t;
            proto_.fields(t, tag, kTagFields, 4, at);
            w.messageField(14, t);
          }
          return true;
        }
        if (key == "externalDocs") {
          w.messageField(15, externalDocs(value, at));
          return true;
        }
        return false;
      });
  return out;
}

}  // namespace

util::Result<std::string> encodeOpenApiV2Protobuf(const json& swagger) {
  Encoder encoder;
  ProtobufWriter out = encoder.document(swagger);
  if (encoder.error()) {
    return *encoder.error();
  }
  return out.bytes();
}

}  // namespace univirt::kubelite
