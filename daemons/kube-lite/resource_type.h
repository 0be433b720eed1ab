#pragma once

// ResourceType: everything kube-lite knows about one served resource (group, version, plural):
// its names, scope, subresources, printer columns and schema. Built-ins come from a table in
// builtin_types.cpp; custom resources from CRD objects (crd.cpp).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/jsonpath.h"

namespace univirt::kubelite {

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string format;
  std::string description;
  int priority = 0;
  std::string json_path;
  JsonPath path;
};

struct ResourceType {
  std::string group;
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool has_status = false;
  bool builtin = true;                 // strategic merge patch allowed; no structural schema
  bool create_on_update = false;       // PUT of a missing object creates it (events, leases, rbac)
  std::vector<PrinterColumn> columns;  // Table columns after Name
  std::vector<std::string> extra_field_selectors;  // besides metadata.name / metadata.namespace
  nlohmann::json schema;                           // openAPIV3Schema (CRDs); null for built-ins
  std::string description;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // Key of the stored objects, independent of the served version.
  std::string storageKey() const { return group + "/" + plural; }
  ResourceName names() const { return ResourceName{group, plural, kind}; }
};

}  // namespace univirt::kubelite
