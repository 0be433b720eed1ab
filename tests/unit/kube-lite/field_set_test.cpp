// FieldSet (FieldsV1) and the structured-merge-diff operations of structured_merge.h, checked
// against what kube-apiserver writes into managedFields for the same objects.

#include "kube-lite/field_set.h"

#include <gtest/gtest.h>

#include "kube-lite/structured_merge.h"

namespace univirt::kubelite {
namespace {

using nlohmann::json;

FieldSet parseFields(const json& fields_v1) {
  auto set = FieldSet::fromFieldsV1(fields_v1);
  EXPECT_TRUE(set) << fields_v1.dump();
  return set ? *set : FieldSet{};
}

// A CRD schema with the list types kube-lite must honour.
const json& widgetSchema() {
  static const json kSchema = json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {
        "type": "object",
        "properties": {
          "size": {"type": "string"},
          "args": {"type": "array", "items": {"type": "string"}},
          "tags": {"type": "array", "x-kubernetes-list-type": "set",
                   "items": {"type": "string"}},
          "ports": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "items": {"type": "object", "properties": {
                      "port": {"type": "integer"},
                      "protocol": {"type": "string", "default": "TCP"},
                      "name": {"type": "string"}}}},
          "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                       "additionalProperties": {"type": "string"}},
          "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
      }
    }
  })");
  return kSchema;
}

FieldType widgetType() {
  static const ResourceType kType = [] {
    ResourceType type;
    type.group = "example.com";
    type.version = "v1";
    type.plural = "widgets";
    type.kind = "Widget";
    type.builtin = false;
    type.schema = widgetSchema();
    return type;
  }();
  return FieldType::forResource(kType);
}

TEST(FieldSet, RoundTripsFieldsV1WithDotForMembersThatHaveChildren) {
  json fields = json::parse(R"({
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
  })");
  FieldSet set = parseFields(fields);
  EXPECT_TRUE(set.has({"f:metadata", "f:labels"}));
  EXPECT_TRUE(set.has({"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(set.has({"f:metadata"}));
  EXPECT_TRUE(set.has({"f:spec", "f:containers", R"(k:{"name":"nginx"})", "f:image"}));
  EXPECT_EQ(set.toFieldsV1(), fields);
}

TEST(FieldSet, RejectsWhatIsNotFieldsV1) {
  EXPECT_FALSE(FieldSet::fromFieldsV1(json::array()));
  EXPECT_FALSE(FieldSet::fromFieldsV1({{"spec", json::object()}}));
  EXPECT_FALSE(FieldSet::fromFieldsV1({{"f:spec", "x"}}));
}

TEST(FieldSet, SetOperationsArePerPathAndRecursiveDifferenceDropsSubtrees) {
  FieldSet a;
  a.insert({"f:spec", "f:a"});
  a.insert({"f:spec", "f:b"});
  a.insert({"f:spec"});
  FieldSet b;
  b.insert({"f:spec", "f:b"});
  b.insert({"f:spec", "f:c"});
  EXPECT_EQ(a.intersect(b).paths(), (std::vector<FieldPath>{{"f:spec", "f:b"}}));
  EXPECT_EQ(a.minus(b).paths(), (std::vector<FieldPath>{{"f:spec"}, {"f:spec", "f:a"}}));
  EXPECT_EQ(a.unite(b).paths().size(), 4u);
  FieldSet spec;
  spec.insert({"f:spec"});
  EXPECT_TRUE(a.minusRecursive(spec).empty());
  EXPECT_EQ(a.minus(spec).paths().size(), 2u);  // exact: only .spec itself goes
  EXPECT_TRUE(a.minus(a).empty());
}

TEST(FieldSet, FormatsPathsAsKubeApiserverPrintsThem) {
  EXPECT_EQ(formatFieldPath({"f:spec", "f:powerstate"}), ".spec.powerstate");
  EXPECT_EQ(formatFieldPath({"f:spec", "f:containers", R"(k:{"name":"nginx"})", "f:image"}),
            R"(.spec.containers[name="nginx"].image)");
  EXPECT_EQ(formatFieldPath({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"}),
            R"(.spec.ports[containerPort=80,protocol="TCP"])");
  EXPECT_EQ(formatFieldPath({"f:metadata", "f:finalizers", R"(v:"a/b")"}),
            R"(.metadata.finalizers[="a/b"])");
  EXPECT_EQ(formatFieldPath({"f:items", "i:3"}), ".items[3]");
}

TEST(StructuredMerge, FieldSetOfOwnsLeavesListItemsAndUndeclaredMapEntries) {
  json config = json::parse(R"({
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "w1", "labels": {"app": "x"}, "finalizers": ["a/b"]},
    "spec": {"size": "s", "args": ["1", "2"], "tags": ["t"],
             "ports": [{"port": 80, "name": "http"}],
             "selector": {"k": "v"},
             "extra": {"deep": {"x": 1}, "empty": {}}}
  })");
  json expected = json::parse(R"({
    "f:apiVersion": {}, "f:kind": {},
    "f:metadata": {"f:name": {}, "f:labels": {"f:app": {}},
                   "f:finalizers": {"v:\"a/b\"": {}}},
    "f:spec": {"f:size": {}, "f:args": {}, "f:tags": {"v:\"t\"": {}},
               "f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:name": {},
                                                                     "f:port": {}}},
               "f:selector": {},
               "f:extra": {"f:deep": {".": {}, "f:x": {}}, "f:empty": {}}}
  })");
  EXPECT_EQ(fieldSetOf(config, widgetType()).toFieldsV1(), expected);
}

TEST(StructuredMerge, BuiltinListsUseKubeMergeKeys) {
  json pod = json::parse(R"({"spec": {"containers": [
      {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
       "args": ["-v"]}]}})");
  FieldSet set = fieldSetOf(pod, FieldType::builtin());
  FieldPath container = {"f:spec", "f:containers", R"(k:{"name":"web"})"};
  EXPECT_TRUE(set.has(container));
  FieldPath port = container;
  port.insert(port.end(), {"f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"});
  EXPECT_TRUE(set.has(port));
  FieldPath args = container;
  args.push_back("f:args");
  EXPECT_TRUE(set.has(args));  // atomic
}

TEST(StructuredMerge, ListsWithoutUsableKeysAreAtomic) {
  json object = json::parse(R"({"spec": {"containers": [{"image": "x"}, {"image": "y"}]}})");
  FieldSet set = fieldSetOf(object, FieldType::builtin());
  EXPECT_TRUE(set.has({"f:spec", "f:containers"}));
}

TEST(StructuredMerge, CompareReportsAddedNodesModifiedLeavesAndRemovedNodes) {
  json before = json::parse(R"({"metadata": {"name": "w1"}, "spec": {"size": "s", "args": ["1"],
                                "ports": [{"port": 80}, {"port": 81}]}})");
  json after = json::parse(R"({"metadata": {"name": "w1", "labels": {"a": "b"}},
                               "spec": {"size": "m", "args": ["1"], "ports": [{"port": 80}]}})");
  Comparison diff = compareValues(before, after, widgetType());
  EXPECT_EQ(diff.added.paths(), (std::vector<FieldPath>{{"f:metadata", "f:labels"},
                                                        {"f:metadata", "f:labels", "f:a"}}));
  EXPECT_EQ(diff.modified.paths(), (std::vector<FieldPath>{{"f:spec", "f:size"}}));
  FieldPath port81 = {"f:spec", "f:ports", R"(k:{"port":81,"protocol":"TCP"})"};
  FieldPath port81_port = port81;
  port81_port.push_back("f:port");
  EXPECT_EQ(diff.removed.paths(), (std::vector<FieldPath>{port81, port81_port}));
  EXPECT_TRUE(compareValues(after, after, widgetType()).same());
}

TEST(StructuredMerge, MergeKeepsLiveFieldsMergesKeyedItemsAndReplacesAtomics) {
  json live = json::parse(R"({"spec": {"size": "s", "args": ["1"], "tags": ["a", "b"],
                              "selector": {"x": "1", "y": "2"},
                              "ports": [{"port": 80, "name": "http"}, {"port": 90}]},
                              "status": {"ok": true}})");
  json config = json::parse(R"({"spec": {"args": ["2"], "tags": ["c", "a"],
                                "selector": {"z": "3"}, "size": null,
                                "ports": [{"port": 90, "name": "metrics"}, {"port": 70}]}})");
  json merged = mergeValues(live, config, widgetType());
  // Set and map items: applied ones in the applied order, live-only ones after their neighbours
  // (structured-merge-diff's merge order).
  json expected = json::parse(R"({"spec": {"args": ["2"], "tags": ["c", "a", "b"],
                                  "selector": {"z": "3"},
                                  "ports": [{"port": 80, "name": "http"},
                                            {"port": 90, "name": "metrics"}, {"port": 70}]},
                                  "status": {"ok": true}})");
  EXPECT_EQ(merged, expected) << merged.dump();
}

TEST(StructuredMerge, RemoveFieldsDropsMembersAndWhatTheyEmptied) {
  json object = json::parse(R"({"metadata": {"labels": {"a": "1"}, "name": "w"},
                                "spec": {"size": "s", "tags": ["a", "b"],
                                         "ports": [{"port": 80, "name": "x"}]}})");
  FieldSet remove;
  remove.insert({"f:metadata", "f:labels", "f:a"});
  remove.insert({"f:spec", "f:tags", R"(v:"a")"});
  remove.insert({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})", "f:name"});
  json out = removeFields(object, remove, widgetType());
  EXPECT_EQ(out, json::parse(R"({"metadata": {"name": "w"},
                                 "spec": {"size": "s", "tags": ["b"],
                                          "ports": [{"port": 80}]}})"))
      << out.dump();
}

TEST(StructuredMerge, NamedFieldsBecomeMembersButMapKeysAlreadyAre) {
  FieldSet set;
  set.insert({"f:spec", "f:size"});
  set.insert({"f:spec", "f:extra", "f:deep", "f:x"});
  FieldSet ensured = withNamedFieldsAsMembers(set, widgetType());
  EXPECT_TRUE(ensured.has({"f:spec"}));
  EXPECT_TRUE(ensured.has({"f:spec", "f:extra"}));
  EXPECT_FALSE(ensured.has({"f:spec", "f:extra", "f:deep"}));  // a map key, not a named field
}

}  // namespace
}  // namespace univirt::kubelite
