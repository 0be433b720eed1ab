#pragma once

// OpenAPI v2 (Swagger 2.0) for kubectl up to 1.27, which validates and feature-detects only
// through it: GET /openapi/v2 with Accept
// `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (gnostic protobuf,
// openapi_v2_protobuf.h), `application/json` for everyone else, and the legacy
// /swagger-2.0.0.pb-v1 (protobuf) kubectl falls back to on 403/404/406.
//
// The document is built from what kube-lite serves (resource_registry.h):
// - `paths` for every resource, built-in and custom, with each operation's
//   x-kubernetes-action and object-form x-kubernetes-group-version-kind; POST, PUT and PATCH
//   carry the `fieldValidation` query parameter, so kubectl's QueryParamVerifier leaves
//   validation to the server (`fieldValidation=Strict`, object_rules.h);
// - `definitions` for every served CRD version (its openAPIV3Schema converted as
//   kube-apiserver does, openapi_v2_schema.h) and its list, with list-form
//   x-kubernetes-group-version-kind, plus the meta/v1 types they refer to. Built-in kinds get
//   no definition: kube-lite has no schema for them, and kubectl then uses its compiled-in types
//   for strategic merge patches, which is exact.
//
// OpenApiV2Endpoint caches both encodings per registry snapshot (a CRD change makes a new
// snapshot, so the next request rebuilds) with their ETags (SHA-512 of the body, as
// kube-apiserver), and answers If-None-Match with 304.

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "core/util/result.h"
#include "kube-lite/request.h"
#include "kube-lite/resource_registry.h"

namespace univirt::kubelite {

inline constexpr const char* kOpenApiV2Protobuf =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
// The same media type as newer clients spell it (no '@'); also the Content-Type of the answer.
inline constexpr const char* kOpenApiV2ProtobufAlias =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// The Swagger 2.0 document; `minor` is the reported Kubernetes minor version (info.version).
nlohmann::json openApiV2Document(const RegistrySnapshot& snap, const std::string& minor);

struct OpenApiV2Response {
  int status = 200;
  std::string content_type;
  std::string body;
  Headers headers;
};

class OpenApiV2Endpoint {
 public:
  // Answers GET /openapi/v2 (negotiated by Accept; 406 when neither JSON nor protobuf is
  // acceptable) or, with `legacy_path`, /swagger-2.0.0.pb-v1 (always protobuf). An error only
  // when the document cannot be encoded, which is a bug.
  util::Result<OpenApiV2Response> serve(const Request& req, const RegistrySnapshot& snap,
                                        const std::string& minor, bool legacy_path,
                                        util::Clock::WallTime now);

 private:
  struct Encoded {
    RegistrySnapshot snap;  // what it was built from; held so the pointer cannot be reused
    std::string minor;
    std::string json;
    std::string json_etag;
    std::string protobuf;
    std::string protobuf_etag;
    std::string last_modified;
  };
  util::Result<std::shared_ptr<const Encoded>> encoded(const RegistrySnapshot& snap,
                                                       const std::string& minor,
                                                       util::Clock::WallTime now);

  std::mutex mu_;
  // Shared with requests still sending an older document.
  std::shared_ptr<const Encoded> current_;  // guarded by mu_
};

}  // namespace univirt::kubelite
