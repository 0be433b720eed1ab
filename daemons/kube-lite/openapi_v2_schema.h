#pragma once

// OpenAPI v3 (a CRD version's openAPIV3Schema) to OpenAPI v2 (Swagger 2.0) schema conversion,
// as kube-apiserver publishes CRDs in /openapi/v2 (apiextensions-apiserver
// controller/openapi/v2.ToStructuralOpenAPIV2 and builder.buildKubeNative):
// - allOf/oneOf/anyOf/not are dropped (v2 cannot say them; kube-apiserver drops allOf too);
// - a nullable node loses its type, properties and items (v2 has no null), and a nullable
//   property is no longer required by its parent;
// - an x-kubernetes-preserve-unknown-fields node loses properties and items, and its type when
//   that is object; an array left without items loses its type (kubectl's v2 parser rejects an
//   array without items and would reject unknown fields if properties stayed);
// - keys Swagger 2.0 has no place for (nullable, patternProperties, definitions, …) are dropped;
//   every x-kubernetes-* extension and the rest (description, default, enum, format, bounds, …)
//   are kept.

#include <nlohmann/json.hpp>

namespace univirt::kubelite {

nlohmann::json toOpenApiV2Schema(const nlohmann::json& v3);

// Adds apiVersion, kind and metadata (a $ref to ObjectMeta) to every
// x-kubernetes-embedded-resource object that keeps properties, as kube-apiserver does.
void addEmbeddedResourceProperties(nlohmann::json& schema);

// The io.k8s.apimachinery.pkg.apis.meta.v1 definitions the CRD definitions and the paths refer
// to: ObjectMeta, ListMeta, Time, OwnerReference, ManagedFieldsEntry, FieldsV1, Status,
// StatusDetails, StatusCause.
const nlohmann::json& metaV1Definitions();

inline constexpr const char* kObjectMetaRef =
    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
inline constexpr const char* kListMetaRef =
    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
inline constexpr const char* kStatusRef =
    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status";

}  // namespace univirt::kubelite
