#include "kube-lite/store.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <stdlib.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kl-store-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/db"; }

  static Mutator put(const json& object) {
    return [object](const json*, int64_t) {
      Mutation m;
      m.action = WriteAction::Put;
      m.object = object;
      return m;
    };
  }
  std::string dir_;
};

TEST_F(StoreTest, EveryWriteGetsTheNextGlobalVersionAndOneEvent) {
  WatchHub hub(100);
  auto store = Store::open(path(), hub);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  auto a = (*store)->mutate({"g/a", "ns", "x"}, put({{"metadata", {{"name", "x"}}}}));
  auto b = (*store)->mutate({"g/b", "", "y"}, put({{"metadata", {{"name", "y"}}}}));
  EXPECT_TRUE(a.created);
  EXPECT_EQ(a.object["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(b.object["metadata"]["resourceVersion"], "2");
  auto poll = hub.wait(0, std::chrono::steady_clock::now(), hub.dropGeneration());
  ASSERT_EQ(poll.events.size(), 2u);
  EXPECT_EQ(poll.events[0]->type, "ADDED");
  EXPECT_EQ(poll.events[1]->storage_key, "g/b");
}

TEST_F(StoreTest, KeepDoesNotBumpAndRefusalReturnsTheError) {
  WatchHub hub(100);
  auto store = std::move(*Store::open(path(), hub));
  store->mutate({"g/a", "ns", "x"}, put({{"metadata", {{"name", "x"}}}}));
  auto kept = store->mutate({"g/a", "ns", "x"}, [](const json*, int64_t) { return Mutation{}; });
  EXPECT_EQ(kept.action, WriteAction::Keep);
  EXPECT_EQ(store->currentRv(), 1);
  auto refused = store->mutate({"g/a", "ns", "x"}, [](const json*, int64_t) {
    Mutation m;
    m.error = badRequest("no");
    return m;
  });
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, 400);
  EXPECT_EQ(store->currentRv(), 1);
}

TEST_F(StoreTest, ReopenKeepsObjectsAndVersion) {
  {
    WatchHub hub(100);
    auto store = std::move(*Store::open(path(), hub));
    store->mutate({"g/a", "ns", "x"}, put({{"metadata", {{"name", "x"}}}}));
    store->mutate({"g/a", "ns", "y"}, put({{"metadata", {{"name", "y"}}}}));
    store->mutate({"g/a", "ns", "y"}, [](const json* current, int64_t) {
      Mutation m;
      m.action = WriteAction::Remove;
      m.object = *current;
      return m;
    });
  }
  WatchHub hub(100);
  auto store = std::move(*Store::open(path(), hub));
  EXPECT_EQ(store->currentRv(), 3);
  EXPECT_TRUE(store->get({"g/a", "ns", "x"}).has_value());
  EXPECT_FALSE(store->get({"g/a", "ns", "y"}).has_value());
  EXPECT_FALSE(hub.servable(2));  // history starts at the reopened version
  EXPECT_TRUE(hub.servable(3));
}

TEST_F(StoreTest, ListPagesInNamespaceNameOrder) {
  WatchHub hub(100);
  auto store = std::move(*Store::open(path(), hub));
  for (const char* ns : {"b", "a"}) {
    for (const char* name : {"y", "x"}) {
      store->mutate({"g/a", ns, name}, put({{"metadata", {{"name", name}, {"namespace", ns}}}}));
    }
  }
  store->mutate({"g/other", "a", "z"}, put({{"metadata", {{"name", "z"}}}}));
  auto first = store->list("g/a", "", "", 3, nullptr);
  ASSERT_EQ(first.items.size(), 3u);
  EXPECT_EQ(first.remaining, 1);
  EXPECT_EQ(first.items[0]["metadata"]["name"], "x");
  EXPECT_EQ(first.items[2]["metadata"]["namespace"], "b");
  auto rest = store->list("g/a", "", first.continue_after, 3, nullptr);
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0]["metadata"]["name"], "y");
  EXPECT_TRUE(rest.continue_after.empty());
  EXPECT_EQ(store->list("g/a", "a", "", 0, nullptr).items.size(), 2u);
}

}  // namespace
}  // namespace univirt::kubelite
