#include "core/kube/informer/object_cache.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::kube {
namespace {

ObjectPtr vm(const std::string& ns, const std::string& name, const std::string& rv,
             const std::string& host = {}) {
  Object object = {{"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}}};
  if (!host.empty()) {
    object["metadata"]["labels"]["host"] = host;
  }
  return std::make_shared<const Object>(std::move(object));
}

std::vector<std::string> names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const ObjectPtr& object : objects) {
    out.push_back(ObjectKey::of(*object).toString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ObjectCache, IndexesByNamespaceAndLabel) {
  ObjectCache cache({"host"});
  cache.upsert(vm("a", "vm1", "1", "node1"));
  cache.upsert(vm("a", "vm2", "2", "node2"));
  cache.upsert(vm("b", "vm3", "3", "node1"));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_THAT(names(cache.listNamespace("a")), ElementsAre("a/vm1", "a/vm2"));
  EXPECT_THAT(names(cache.listByLabel("host", "node1")), ElementsAre("a/vm1", "b/vm3"));
  EXPECT_THAT(names(cache.listByLabel("host", "node9")), IsEmpty());
  EXPECT_EQ(resourceVersionOf(*cache.get({"b", "vm3"})), "3");
  EXPECT_EQ(cache.get({"b", "nope"}), nullptr);
}

TEST(ObjectCache, UpsertMovesIndexEntriesWhenLabelsChange) {
  ObjectCache cache({"host"});
  cache.upsert(vm("a", "vm1", "1", "node1"));
  ObjectPtr previous = cache.upsert(vm("a", "vm1", "2", "node2"));
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(resourceVersionOf(*previous), "1");
  EXPECT_THAT(names(cache.listByLabel("host", "node1")), IsEmpty());
  EXPECT_THAT(names(cache.listByLabel("host", "node2")), ElementsAre("a/vm1"));
  ObjectPtr removed = cache.remove({"a", "vm1"});
  ASSERT_NE(removed, nullptr);
  EXPECT_THAT(names(cache.listByLabel("host", "node2")), IsEmpty());
  EXPECT_THAT(names(cache.listNamespace("a")), IsEmpty());
  EXPECT_EQ(cache.remove({"a", "vm1"}), nullptr);
}

TEST(ObjectCache, ReplaceReportsAddedUpdatedAndVanishedObjects) {
  ObjectCache cache({"host"});
  cache.upsert(vm("a", "kept", "1"));
  cache.upsert(vm("a", "changed", "2"));
  cache.upsert(vm("a", "vanished", "3", "node1"));
  auto result = cache.replace({vm("a", "kept", "1"), vm("a", "changed", "5"), vm("a", "new", "6")});
  EXPECT_THAT(names(result.added), ElementsAre("a/new"));
  ASSERT_EQ(result.updated.size(), 1u);
  EXPECT_EQ(resourceVersionOf(*result.updated[0].first), "2");
  EXPECT_EQ(resourceVersionOf(*result.updated[0].second), "5");
  EXPECT_THAT(names(result.deleted), ElementsAre("a/vanished"));
  EXPECT_THAT(names(cache.list()), ElementsAre("a/changed", "a/kept", "a/new"));
  EXPECT_THAT(names(cache.listByLabel("host", "node1")), IsEmpty());
}

TEST(ObjectCache, SnapshotsStayValidWhileCacheChanges) {
  ObjectCache cache;
  cache.upsert(vm("a", "vm1", "1"));
  ObjectPtr snapshot = cache.get({"a", "vm1"});
  std::thread writer([&] {
    for (int i = 2; i < 200; ++i) {
      cache.upsert(vm("a", "vm1", std::to_string(i)));
    }
    cache.remove({"a", "vm1"});
  });
  for (int i = 0; i < 200; ++i) {
    ObjectPtr current = cache.get({"a", "vm1"});
    if (current) {
      EXPECT_EQ(nameOf(*current), "vm1");
    }
  }
  writer.join();
  EXPECT_EQ(resourceVersionOf(*snapshot), "1");
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace univirt::kube
