// The informer against a real kube-lite process, through the ways a watch can fail: a dropped
// stream, a server restart, compacted history (410), and a server that is down at start.
// The reflector's backoff runs on a FakeClock: a reflector waiting to retry is parked until
// the test moves time, which makes "change the server while the client is away" exact.

#include "core/kube/informer/informer.h"

#include <condition_variable>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/kube_client/kube_lite_client.h"

namespace univirt::kube {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

const ResourceRef kNamespaces{"", "v1", "namespaces", false};
const ResourceRef kConfigMaps{"", "v1", "configmaps", true};

Object configMap(const std::string& ns, const std::string& name, const std::string& host) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"host", host}}}}},
          {"data", {{"key", "v"}}}};
}

// What the handlers saw, as "add ns/name", "update ns/name", "delete ns/name".
class HandlerLog {
 public:
  EventHandlers handlers() {
    EventHandlers out;
    out.on_add = [this](const Object& o) { push("add " + ObjectKey::of(o).toString()); };
    out.on_update = [this](const Object&, const Object& o) {
      push("update " + ObjectKey::of(o).toString());
    };
    out.on_delete = [this](const Object& o) { push("delete " + ObjectKey::of(o).toString()); };
    return out;
  }
  // Waits (bounded) until `entry` was logged.
  bool waitFor(const std::string& entry) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 20s, [&] {
      return std::find(entries_.begin(), entries_.end(), entry) != entries_.end();
    });
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }
  std::vector<std::string> about(const std::string& key) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const std::string& entry : entries_) {
      if (entry.ends_with(" " + key)) {
        out.push_back(entry.substr(0, entry.find(' ')));
      }
    }
    return out;
  }

 private:
  void push(std::string entry) {
    {
      std::lock_guard lock(mu_);
      entries_.push_back(std::move(entry));
    }
    changed_.notify_all();
  }
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> entries_;  // guarded by mu_
};

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    TransportOptions options;
    // One attempt per request: the reflector's own backoff (on the fake clock) is under test.
    options.max_attempts = 1;
    options.connect_timeout = 2s;
    auto client = testing::clientFor(server_, options);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
    ASSERT_TRUE(client_->create(
        kNamespaces, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}));
  }

  std::unique_ptr<Informer> makeInformer(std::string label_selector = {}) {
    ListWatch list_watch;
    list_watch.client = client_.get();
    list_watch.resource = kConfigMaps;
    list_watch.namespace_name = ns_;
    list_watch.label_selector = std::move(label_selector);
    auto informer =
        std::make_unique<Informer>(list_watch, std::vector<std::string>{"host"}, clock_);
    informer->addHandlers(log_.handlers());
    return informer;
  }

  // The informer's cache holds exactly what the server lists, at the same resourceVersions.
  void expectCacheEqualsServer(const Informer& informer) {
    auto listed = client_->list(kConfigMaps, ns_);
    ASSERT_TRUE(listed) << listed.error().message;
    std::map<std::string, std::string> server;
    for (const Object& item : listed->items) {
      server[ObjectKey::of(item).toString()] = resourceVersionOf(item);
    }
    std::map<std::string, std::string> cached;
    for (const ObjectPtr& object : informer.cache().list()) {
      cached[ObjectKey::of(*object).toString()] = resourceVersionOf(*object);
    }
    EXPECT_EQ(cached, server);
  }

  std::string key(const std::string& name) const { return ns_ + "/" + name; }

  univirt::testing::KubeLiteProcess server_{testing::faultInjectingOptions()};
  util::FakeClock clock_;
  std::unique_ptr<Client> client_;
  std::string ns_ = "informer";
  HandlerLog log_;
};

TEST_F(InformerTest, ListsThenWatchesAndDeliversEachChangeOnceInOrder) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "a", "node1")));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "b", "node2")));
  auto informer = makeInformer();
  EXPECT_FALSE(informer->hasSynced());
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));
  EXPECT_EQ(informer->cache().size(), 2u);
  ASSERT_EQ(informer->cache().listByLabel("host", "node1").size(), 1u);
  EXPECT_EQ(nameOf(*informer->cache().listByLabel("host", "node1")[0]), "a");

  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "c", "node1")));
  ASSERT_TRUE(client_->patch(kConfigMaps, {ns_, "a"}, PatchType::Merge,
                             {{"metadata", {{"labels", {{"host", "node3"}}}}}}));
  ASSERT_TRUE(client_->remove(kConfigMaps, {ns_, "b"}));
  ASSERT_TRUE(log_.waitFor("delete " + key("b")));

  EXPECT_THAT(log_.about(key("a")), ElementsAre("add", "update"));
  EXPECT_THAT(log_.about(key("b")), ElementsAre("add", "delete"));
  EXPECT_THAT(log_.about(key("c")), ElementsAre("add"));
  EXPECT_THAT(informer->cache().listByLabel("host", "node3").size(), 1u);
  expectCacheEqualsServer(*informer);
  EXPECT_EQ(informer->stats().lists, 1u);
}

TEST_F(InformerTest, ResumesAfterDroppedWatchWithoutRelisting) {
  auto informer = makeInformer();
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));
  // An event proves the first watch is open before the server drops it.
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "marker", "node1")));
  ASSERT_TRUE(log_.waitFor("add " + key("marker")));
  ASSERT_TRUE(testing::injectFault(server_, {{"dropWatches", true}}));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "after-drop", "node1")));
  ASSERT_TRUE(log_.waitFor("add " + key("after-drop")));

  EXPECT_THAT(log_.about(key("marker")), ElementsAre("add"));
  EXPECT_THAT(log_.about(key("after-drop")), ElementsAre("add"));
  EXPECT_EQ(informer->stats().lists, 1u) << "a dropped watch must resume, not relist";
  EXPECT_GE(informer->stats().watches, 2u);
  expectCacheEqualsServer(*informer);
}

TEST_F(InformerTest, RelistsAfterRestartAndCompactionAndReportsDeletesMissedMeanwhile) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "stays", "node1")));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "goes", "node1")));
  auto informer = makeInformer();
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));

  // The watch breaks; the reflector backs off on the fake clock and stays away until we let
  // it. Meanwhile the server comes back, changes, and forgets its watch history.
  server_.stop();
  ASSERT_TRUE(clock_.waitForSleepers(1, 20s));
  ASSERT_TRUE(server_.start()) << server_.lastError();
  ASSERT_TRUE(client_->remove(kConfigMaps, {ns_, "goes"}));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "new", "node2")));
  ASSERT_TRUE(testing::injectFault(server_, {{"compact", true}}));
  auto lists_before = informer->stats().lists;

  clock_.advance(Reflector::kBackoff.max);
  ASSERT_TRUE(log_.waitFor("add " + key("new")));
  ASSERT_TRUE(log_.waitFor("delete " + key("goes")));

  EXPECT_THAT(log_.about(key("goes")), ElementsAre("add", "delete"));
  EXPECT_THAT(log_.about(key("stays")), ElementsAre("add")) << "no replay of unchanged objects";
  EXPECT_THAT(log_.about(key("new")), ElementsAre("add"));
  EXPECT_EQ(informer->stats().lists, lists_before + 1);
  EXPECT_THAT(informer->cache().listByLabel("host", "node2").size(), 1u);
  expectCacheEqualsServer(*informer);
}

TEST_F(InformerTest, SyncsOnlyOnceTheServerAnswers) {
  server_.stop();
  auto informer = makeInformer();
  informer->start();
  // The list fails; the reflector waits for its backoff instead of retrying in a loop.
  ASSERT_TRUE(clock_.waitForSleepers(1, 20s));
  EXPECT_FALSE(informer->hasSynced());
  std::uint64_t sent = client_->transport().requestsSent();
  EXPECT_LE(sent, 2u) << "requests while waiting for the backoff: the reflector spins";

  ASSERT_TRUE(server_.start()) << server_.lastError();
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "late", "node1")));
  clock_.advance(Reflector::kBackoff.max);
  ASSERT_TRUE(informer->waitForSync(20s));
  ASSERT_TRUE(log_.waitFor("add " + key("late")));
  expectCacheEqualsServer(*informer);
}

TEST_F(InformerTest, WatchServerErrorsBackOffAndResumeWithoutRelisting) {
  auto informer = makeInformer();
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "marker", "node1")));
  ASSERT_TRUE(log_.waitFor("add " + key("marker")));

  // Every request fails with 500 from now on, and the open watch ends.
  std::uint64_t before = client_->transport().requestsSent();
  ASSERT_TRUE(testing::injectFault(
      server_, {{"failNext", {{"count", 1000}, {"code", 500}}}, {"dropWatches", true}}));
  ASSERT_TRUE(clock_.waitForSleepers(1, 20s));
  // One failed re-watch, then the reflector waits for the fake clock: no spinning.
  EXPECT_LE(client_->transport().requestsSent() - before, 2u);
  EXPECT_THAT(log_.entries(), ElementsAre("add " + key("marker")));

  ASSERT_TRUE(testing::injectFault(server_, {{"failNext", {{"count", 0}}}}));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "after-errors", "node1")));
  clock_.advance(Reflector::kBackoff.max);
  ASSERT_TRUE(log_.waitFor("add " + key("after-errors")));
  EXPECT_EQ(informer->stats().lists, 1u) << "a 5xx on the watch must resume, not relist";
  expectCacheEqualsServer(*informer);
}

TEST_F(InformerTest, LabelSelectorTreatsObjectsLeavingTheSelectionAsDeleted) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "mine", "node1")));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "other", "node2")));
  auto informer = makeInformer("host=node1");
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));
  ASSERT_EQ(informer->cache().size(), 1u);
  EXPECT_NE(informer->cache().get({ns_, "mine"}), nullptr);

  ASSERT_TRUE(client_->patch(kConfigMaps, {ns_, "mine"}, PatchType::Merge,
                             {{"metadata", {{"labels", {{"host", "node2"}}}}}}));
  ASSERT_TRUE(client_->patch(kConfigMaps, {ns_, "other"}, PatchType::Merge,
                             {{"metadata", {{"labels", {{"host", "node1"}}}}}}));
  ASSERT_TRUE(log_.waitFor("add " + key("other")));
  EXPECT_THAT(log_.about(key("mine")), ElementsAre("add", "delete"));
  EXPECT_EQ(informer->cache().get({ns_, "mine"}), nullptr);
  EXPECT_NE(informer->cache().get({ns_, "other"}), nullptr);
}

TEST_F(InformerTest, StopEndsABlockedWatchPromptly) {
  auto informer = makeInformer();
  informer->start();
  ASSERT_TRUE(informer->waitForSync(20s));
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "x", "node1")));
  ASSERT_TRUE(log_.waitFor("add " + key("x")));
  auto before = std::chrono::steady_clock::now();
  informer->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
}

}  // namespace
}  // namespace univirt::kube
