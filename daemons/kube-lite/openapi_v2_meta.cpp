// The meta/v1 definitions /openapi/v2 refers to, as kube-apiserver publishes them (descriptions
// shortened to their first sentence; the patch-strategy and list-type extensions kept, because
// kubectl reads them).

#include "kube-lite/openapi_v2_schema.h"

namespace univirt::kubelite {

const nlohmann::json& metaV1Definitions() {
  static const nlohmann::json kDefinitions = nlohmann::json::parse(R"json({
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": {
    "description": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.",
    "type": "string",
    "format": "date-time"
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": {
    "description": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
    "type": "object"
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {
    "description": "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
    "type": "object",
    "properties": {
      "apiVersion": {"description": "APIVersion defines the version of this resource that this field set applies to.", "type": "string"},
      "fieldsType": {"description": "FieldsType is the discriminator for the different fields format and version.", "type": "string"},
      "fieldsV1": {"description": "FieldsV1 holds the first JSON version format as described in the \"FieldsV1\" type.", "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"},
      "manager": {"description": "Manager is an identifier of the workflow managing these fields.", "type": "string"},
      "operation": {"description": "Operation is the type of operation which lead to this ManagedFieldsEntry being created.", "type": "string"},
      "subresource": {"description": "Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.", "type": "string"},
      "time": {"description": "Time is the timestamp of when the ManagedFields entry was added.", "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": {
    "description": "OwnerReference contains enough information to let you identify an owning object.",
    "type": "object",
    "required": ["apiVersion", "kind", "name", "uid"],
    "properties": {
      "apiVersion": {"description": "API version of the referent.", "type": "string", "default": ""},
      "blockOwnerDeletion": {"description": "If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.", "type": "boolean"},
      "controller": {"description": "If true, this reference points to the managing controller.", "type": "boolean"},
      "kind": {"description": "Kind of the referent.", "type": "string", "default": ""},
      "name": {"description": "Name of the referent.", "type": "string", "default": ""},
      "uid": {"description": "UID of the referent.", "type": "string", "default": ""}
    },
    "x-kubernetes-map-type": "atomic"
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
    "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
    "type": "object",
    "properties": {
      "annotations": {"description": "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.", "type": "object", "additionalProperties": {"type": "string", "default": ""}},
      "creationTimestamp": {"description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
      "deletionGracePeriodSeconds": {"description": "Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.", "type": "integer", "format": "int64"},
      "deletionTimestamp": {"description": "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.", "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
      "finalizers": {"description": "Must be empty before the object is deleted from the registry.", "type": "array", "items": {"type": "string", "default": ""}, "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
      "generateName": {"description": "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.", "type": "string"},
      "generation": {"description": "A sequence number representing a specific generation of the desired state.", "type": "integer", "format": "int64"},
      "labels": {"description": "Map of string keys and values that can be used to organize and categorize (scope and select) objects.", "type": "object", "additionalProperties": {"type": "string", "default": ""}},
      "managedFields": {"description": "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.", "type": "array", "items": {"default": {}, "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"}, "x-kubernetes-list-type": "atomic"},
      "name": {"description": "Name must be unique within a namespace.", "type": "string"},
      "namespace": {"description": "Namespace defines the space within which each name must be unique.", "type": "string"},
      "ownerReferences": {"description": "List of objects depended by this object.", "type": "array", "items": {"default": {}, "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"}, "x-kubernetes-list-map-keys": ["uid"], "x-kubernetes-list-type": "map", "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"},
      "resourceVersion": {"description": "An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed.", "type": "string"},
      "selfLink": {"description": "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.", "type": "string"},
      "uid": {"description": "UID is the unique in time and space value for this object.", "type": "string"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta": {
    "description": "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
    "type": "object",
    "properties": {
      "continue": {"description": "continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.", "type": "string"},
      "remainingItemCount": {"description": "remainingItemCount is the number of subsequent items in the list which are not included in this list response.", "type": "integer", "format": "int64"},
      "resourceVersion": {"description": "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed.", "type": "string"},
      "selfLink": {"description": "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.", "type": "string"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause": {
    "description": "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
    "type": "object",
    "properties": {
      "field": {"description": "The field of the resource that has caused this error, as named by its JSON serialization.", "type": "string"},
      "message": {"description": "A human-readable description of the cause of the error.", "type": "string"},
      "reason": {"description": "A machine-readable description of the cause of the error.", "type": "string"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails": {
    "description": "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.",
    "type": "object",
    "properties": {
      "causes": {"description": "The Causes array includes more details associated with the StatusReason failure.", "type": "array", "items": {"default": {}, "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause"}, "x-kubernetes-list-type": "atomic"},
      "group": {"description": "The group attribute of the resource associated with the status StatusReason.", "type": "string"},
      "kind": {"description": "The kind attribute of the resource associated with the status StatusReason.", "type": "string"},
      "name": {"description": "The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).", "type": "string"},
      "retryAfterSeconds": {"description": "If specified, the time in seconds before the operation should be retried.", "type": "integer", "format": "int32"},
      "uid": {"description": "UID of the resource.", "type": "string"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.Status": {
    "description": "Status is a return value for calls that don't return other objects.",
    "type": "object",
    "properties": {
      "apiVersion": {"description": "APIVersion defines the versioned schema of this representation of an object.", "type": "string"},
      "code": {"description": "Suggested HTTP return code for this status, 0 if not set.", "type": "integer", "format": "int32"},
      "details": {"description": "Extended data associated with the reason.", "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails"},
      "kind": {"description": "Kind is a string value representing the REST resource this object represents.", "type": "string"},
      "message": {"description": "A human-readable description of the status of this operation.", "type": "string"},
      "metadata": {"description": "Standard list metadata.", "default": {}, "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},
      "reason": {"description": "A machine-readable description of why this operation is in the \"Failure\" status.", "type": "string"},
      "status": {"description": "Status of the operation. One of: \"Success\" or \"Failure\".", "type": "string"}
    },
    "x-kubernetes-group-version-kind": [{"group": "", "kind": "Status", "version": "v1"}]
  }
})json");
  return kDefinitions;
}

}  // namespace univirt::kubelite
