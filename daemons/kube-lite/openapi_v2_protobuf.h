#pragma once

// The protobuf form of /openapi/v2 that kubectl asks for first (Accept
// `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): gnostic's `openapi.v2.Document`
// (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto), derived from the Swagger 2.0 JSON
// the way kube-openapi's ToProtoBinary does it. Vendor extensions, `default`, `enum` and `example`
// values become `Any{yaml}` holding the value as JSON text (JSON is YAML, and that is what
// kubectl unmarshals). A key this encoder does not know is an error naming its JSON pointer, so
// the JSON and protobuf documents cannot drift apart silently.

#include <string>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kubelite {

util::Result<std::string> encodeOpenApiV2Protobuf(const nlohmann::json& swagger);

}  // namespace univirt::kubelite
