// The built-in resources kube-lite stores and serves generically (no controllers run).
// create_on_update mirrors each kube-apiserver strategy's AllowCreateOnUpdate().

#include "kube-lite/resource_registry.h"

namespace univirt::kubelite {

namespace {

PrinterColumn column(std::string name, std::string type, std::string path, int priority = 0) {
  PrinterColumn col;
  col.name = std::move(name);
  col.type = std::move(type);
  col.json_path = std::move(path);
  col.path = *JsonPath::parse(col.json_path);
  col.priority = priority;
  return col;
}

struct Row {
  const char* group;
  const char* version;
  const char* plural;
  const char* singular;
  const char* kind;
  bool namespaced;
  std::vector<std::string> short_names;
  bool has_status;
  bool create_on_update;
  std::vector<std::string> fields;
  std::vector<std::string> categories;
};

}  // namespace

std::vector<ResourceType> builtinTypes() {
  const std::vector<Row> rows = {
      {"",
       "v1",
       "namespaces",
       "namespace",
       "Namespace",
       false,
       {"ns"},
       true,
       false,
       {"status.phase"},
       {}},
      {"", "v1", "nodes", "node", "Node", false, {"no"}, true, false, {"spec.unschedulable"}, {}},
      {"",
       "v1",
       "pods",
       "pod",
       "Pod",
       true,
       {"po"},
       true,
       false,
       {"spec.nodeName", "status.phase"},
       {"all"}},
      {"", "v1", "services", "service", "Service", true, {"svc"}, true, false, {}, {"all"}},
      {"",
       "v1",
       "events",
       "event",
       "Event",
       true,
       {"ev"},
       false,
       true,
       {"involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
        "involvedObject.uid", "involvedObject.apiVersion", "reason", "type", "reportingComponent",
        "source"},
       {}},
      {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, false, false, {}, {}},
      {"", "v1", "secrets", "secret", "Secret", true, {}, false, false, {"type"}, {}},
      {"",
       "v1",
       "serviceaccounts",
       "serviceaccount",
       "ServiceAccount",
       true,
       {"sa"},
       false,
       true,
       {},
       {}},
      {"events.k8s.io",
       "v1",
       "events",
       "event",
       "Event",
       true,
       {"ev"},
       false,
       true,
       {"regarding.kind", "regarding.name", "regarding.namespace", "reason", "type"},
       {}},
      {"apps",
       "v1",
       "daemonsets",
       "daemonset",
       "DaemonSet",
       true,
       {"ds"},
       true,
       false,
       {},
       {"all"}},
      {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, false, true, {}, {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "rolebindings",
       "rolebinding",
       "RoleBinding",
       true,
       {},
       false,
       true,
       {},
       {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "clusterroles",
       "clusterrole",
       "ClusterRole",
       false,
       {},
       false,
       true,
       {},
       {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "clusterrolebindings",
       "clusterrolebinding",
       "ClusterRoleBinding",
       false,
       {},
       false,
       true,
       {},
       {}},
      {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, false, true, {}, {}},
      {"apiextensions.k8s.io",
       "v1",
       "customresourcedefinitions",
       "customresourcedefinition",
       "CustomResourceDefinition",
       false,
       {"crd", "crds"},
       true,
       false,
       {},
       {"api-extensions"}},
  };
  std::vector<ResourceType> types;
  for (const auto& row : rows) {
    ResourceType type;
    type.group = row.group;
    type.version = row.version;
    type.plural = row.plural;
    type.singular = row.singular;
    type.kind = row.kind;
    type.list_kind = type.kind + "List";
    type.namespaced = row.namespaced;
    type.short_names = row.short_names;
    type.has_status = row.has_status;
    type.create_on_update = row.create_on_update;
    type.extra_field_selectors = row.fields;
    type.categories = row.categories;
    type.builtin = true;
    type.description = type.kind + " is a built-in Kubernetes kind stored by kube-lite.";
    if (type.plural == "namespaces") {
      type.columns.push_back(column("Status", "string", ".status.phase"));
    }
    if (type.plural == "customresourcedefinitions") {
      type.columns.push_back(column("Created At", "date", ".metadata.creationTimestamp"));
      types.push_back(std::move(type));
      continue;
    }
    type.columns.push_back(ageColumn());
    types.push_back(std::move(type));
  }
  return types;
}

}  // namespace univirt::kubelite
