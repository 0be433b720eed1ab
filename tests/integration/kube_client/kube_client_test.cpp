// The kube client against a real kube-lite process (started once for the suite; every test
// works in its own namespace). Server-side fault injection covers 429s and compaction.

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/client.h"
#include "core/kube/events.h"
#include "core/kube/patch.h"
#include "integration/kube_client/kube_lite_client.h"
#include "unit/core/kube/skipping_clock.h"
#include "unit/core/kube/test_certs.h"

namespace univirt::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using util::ErrorCode;
using namespace std::chrono_literals;

const ResourceRef kNamespaces{"", "v1", "namespaces", false};
const ResourceRef kConfigMaps{"", "v1", "configmaps", true};
const ResourceRef kPods{"", "v1", "pods", true};
const ResourceRef kEvents{"", "v1", "events", true};

Object configMap(const std::string& ns, const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"key", value}}}};
}

class KubeClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new univirt::testing::KubeLiteProcess(testing::faultInjectingOptions());
    ASSERT_TRUE(server_->start()) << server_->lastError();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    auto client = testing::clientFor(*server_);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
    // One namespace per test: tests share the server, never their objects.
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    ns_ =
        "t-" + std::to_string(++namespace_counter_) + "-" + std::string(info->name()).substr(0, 40);
    for (char& c : ns_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto created = client_->create(
        kNamespaces, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created) << created.error().message;
  }

  static univirt::testing::KubeLiteProcess* server_;
  static inline int namespace_counter_ = 0;
  std::unique_ptr<Client> client_;
  std::string ns_;
};

univirt::testing::KubeLiteProcess* KubeClientTest::server_ = nullptr;

TEST_F(KubeClientTest, CreatesGetsUpdatesAndDeletes) {
  auto created = client_->create(kConfigMaps, configMap(ns_, "cm1", "one"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(uidOf(*created).empty());
  EXPECT_FALSE(resourceVersionOf(*created).empty());

  auto got = client_->get(kConfigMaps, {ns_, "cm1"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["data"]["key"], "one");

  Object changed = *got;
  changed["data"]["key"] = "two";
  auto updated = client_->update(kConfigMaps, changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ((*updated)["data"]["key"], "two");
  EXPECT_NE(resourceVersionOf(*updated), resourceVersionOf(*got));

  DeleteOptions options;
  options.precondition_uid = uidOf(*created);
  auto deleted = client_->remove(kConfigMaps, {ns_, "cm1"}, options);
  ASSERT_TRUE(deleted) << deleted.error().message;
  auto gone = client_->get(kConfigMaps, {ns_, "cm1"});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::NotFound);
}

TEST_F(KubeClientTest, ReturnsTypedErrorsFromStatus) {
  auto missing = client_->get(kConfigMaps, {ns_, "nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("\"nope\" not found"));
  EXPECT_THAT(missing.error().message, HasSubstr("reason 'NotFound', HTTP 404"));

  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "dup", "x")));
  auto again = client_->create(kConfigMaps, configMap(ns_, "dup", "x"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);

  auto current = client_->get(kConfigMaps, {ns_, "dup"});
  ASSERT_TRUE(current);
  Object stale = *current;
  stale["data"]["key"] = "first";
  ASSERT_TRUE(client_->update(kConfigMaps, stale));
  stale["data"]["key"] = "second";  // still carries the old resourceVersion
  auto conflict = client_->update(kConfigMaps, stale);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::Conflict);
  EXPECT_TRUE(conflict.error().retryable());

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  auto refused = client_->remove(kConfigMaps, {ns_, "dup"}, wrong_uid);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Conflict);
}

TEST_F(KubeClientTest, PatchesWithMergeAndJsonPatch) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "p", "v")));
  auto merged = client_->patch(kConfigMaps, {ns_, "p"}, PatchType::Merge,
                               {{"metadata", {{"labels", {{"host", "node1"}}}}}});
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(labelOf(*merged, "host"), "node1");
  EXPECT_EQ((*merged)["data"]["key"], "v");

  auto json_patched =
      client_->patch(kConfigMaps, {ns_, "p"}, PatchType::Json,
                     nlohmann::json::parse(R"([{"op":"test","path":"/data/key","value":"v"},
                                {"op":"replace","path":"/data/key","value":"w"}])"));
  ASSERT_TRUE(json_patched) << json_patched.error().message;
  EXPECT_EQ((*json_patched)["data"]["key"], "w");

  auto failed_test =
      client_->patch(kConfigMaps, {ns_, "p"}, PatchType::Json,
                     nlohmann::json::parse(R"([{"op":"test","path":"/data/key","value":"old"}])"));
  ASSERT_FALSE(failed_test);
  EXPECT_EQ(failed_test.error().code, ErrorCode::InvalidArgument);
}

TEST_F(KubeClientTest, WritesStatusSubresource) {
  Object pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "p1"}, {"namespace", ns_}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  ASSERT_TRUE(client_->create(kPods, pod));
  auto patched = client_->patchStatus(kPods, {ns_, "p1"}, PatchType::Merge,
                                      {{"status", {{"phase", "Running"}}}});
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ((*patched)["status"]["phase"], "Running");

  Object current = *patched;
  current["status"]["phase"] = "Succeeded";
  auto updated = client_->updateStatus(kPods, current);
  ASSERT_TRUE(updated) << updated.error().message;
  auto got = client_->get(kPods, {ns_, "p1"});
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["status"]["phase"], "Succeeded");
}

TEST_F(KubeClientTest, ListFollowsContinueTokensAcrossPages) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, fmt::format("cm-{}", i), "v")));
  }
  ListOptions options;
  options.limit = 3;
  auto first = client_->listPage(kConfigMaps, ns_, options, {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->items.size(), 3u);
  EXPECT_FALSE(first->continue_token.empty());

  std::uint64_t before = client_->transport().requestsSent();
  auto all = client_->list(kConfigMaps, ns_, options);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(client_->transport().requestsSent() - before, 3u) << "7 items in pages of 3";
  std::vector<std::string> names;
  for (const Object& item : all->items) {
    names.push_back(nameOf(item));
    EXPECT_EQ(kindOf(item), "ConfigMap");
    EXPECT_EQ(apiVersionOf(item), "v1");
  }
  EXPECT_THAT(names, ElementsAre("cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6"));
  EXPECT_FALSE(all->resource_version.empty());

  options.label_selector = "absent=true";
  auto none = client_->list(kConfigMaps, ns_, options);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
}

// Collects watch events on a thread until told to stop.
class WatchRecorder {
 public:
  WatchRecorder(Client& client, const ResourceRef& ref, const std::string& ns,
                const WatchOptions& options)
      : done_(std::async(std::launch::async, [&client, ref, ns, options, this] {
          return client.watch(
              ref, ns, options,
              [this](const WatchEvent& event) {
                std::lock_guard lock(mu_);
                events_.push_back(event);
                changed_.notify_all();
              },
              stop_.get_token());
        })) {}
  ~WatchRecorder() { stop_.request_stop(); }

  // Waits until `count` non-bookmark events arrived (bounded).
  std::vector<WatchEvent> waitFor(std::size_t count) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, 20s, [&] { return nonBookmarks() >= count; });
    std::vector<WatchEvent> out;
    for (const WatchEvent& event : events_) {
      if (event.type != WatchEventType::Bookmark) {
        out.push_back(event);
      }
    }
    return out;
  }
  util::Status finish(std::chrono::seconds timeout = 20s) {
    if (done_.wait_for(timeout) != std::future_status::ready) {
      return util::Error{ErrorCode::Timeout, "watch did not end"};
    }
    return done_.get();
  }
  void stop() { stop_.request_stop(); }

 private:
  std::size_t nonBookmarks() const {
    std::size_t n = 0;
    for (const WatchEvent& event : events_) {
      n += event.type != WatchEventType::Bookmark ? 1 : 0;
    }
    return n;
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<WatchEvent> events_;  // guarded by mu_
  std::stop_source stop_;
  std::future<util::Status> done_;
};

TEST_F(KubeClientTest, WatchDeliversEventsInOrderFromListVersion) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "before", "v")));
  auto listed = client_->list(kConfigMaps, ns_);
  ASSERT_TRUE(listed);
  WatchOptions options;
  options.resource_version = listed->resource_version;
  WatchRecorder watch(*client_, kConfigMaps, ns_, options);

  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "w", "1")));
  ASSERT_TRUE(
      client_->patch(kConfigMaps, {ns_, "w"}, PatchType::Merge, {{"data", {{"key", "2"}}}}));
  ASSERT_TRUE(client_->remove(kConfigMaps, {ns_, "w"}));

  auto events = watch.waitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
  EXPECT_EQ(events[1].type, WatchEventType::Modified);
  EXPECT_EQ((events[1].object)["data"]["key"], "2");
  EXPECT_EQ(events[2].type, WatchEventType::Deleted);
  for (const WatchEvent& event : events) {
    EXPECT_EQ(nameOf(event.object), "w") << "the object listed before was replayed";
  }
  EXPECT_LT(std::stoll(resourceVersionOf(events[0].object)),
            std::stoll(resourceVersionOf(events[1].object)));
  EXPECT_LT(std::stoll(resourceVersionOf(events[1].object)),
            std::stoll(resourceVersionOf(events[2].object)));
  watch.stop();
  auto finished = watch.finish();
  EXPECT_TRUE(finished) << finished.error().message;
}

TEST_F(KubeClientTest, WatchFromCompactedVersionReturnsGone) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "old", "v")));
  auto listed = client_->list(kConfigMaps, ns_);
  ASSERT_TRUE(listed);
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "newer", "v")));
  ASSERT_TRUE(testing::injectFault(*server_, {{"compact", true}}));
  std::vector<WatchEvent> seen;
  WatchOptions options;
  options.resource_version = listed->resource_version;
  auto result = client_->watch(kConfigMaps, ns_, options,
                               [&](const WatchEvent& event) { seen.push_back(event); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Gone);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type, WatchEventType::Error);
}

TEST_F(KubeClientTest, WatchEndsCleanlyWhenServerDropsIt) {
  WatchOptions options;
  auto listed = client_->list(kConfigMaps, ns_);
  ASSERT_TRUE(listed);
  options.resource_version = listed->resource_version;
  WatchRecorder watch(*client_, kConfigMaps, ns_, options);
  // The watch is open once an event made after it started arrives.
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "marker", "v")));
  ASSERT_EQ(watch.waitFor(1).size(), 1u);
  ASSERT_TRUE(testing::injectFault(*server_, {{"dropWatches", true}}));
  auto finished = watch.finish();
  EXPECT_TRUE(finished) << finished.error().message;
}

TEST_F(KubeClientTest, UpdateWithRetryReappliesMutationAfterConflict) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "c", "0")));
  int calls = 0;
  auto result = updateWithRetry(*client_, kConfigMaps, {ns_, "c"}, [&](Object& object) {
    ++calls;
    if (calls == 1) {
      // Someone else writes between our read and our write.
      auto other =
          client_->patch(kConfigMaps, {ns_, "c"}, PatchType::Merge, {{"data", {{"other", "x"}}}});
      EXPECT_TRUE(other);
    }
    object["data"]["key"] = "mine";
    return util::Result<Mutation>(Mutation::Changed);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*result)["data"]["key"], "mine");
  EXPECT_EQ((*result)["data"]["other"], "x") << "the concurrent write was lost";
}

TEST_F(KubeClientTest, UpdateWithRetryGivesUpAfterMaxAttempts) {
  ASSERT_TRUE(client_->create(kConfigMaps, configMap(ns_, "c", "0")));
  int calls = 0;
  UpdateOptions options;
  options.max_attempts = 3;
  auto result = updateWithRetry(
      *client_, kConfigMaps, {ns_, "c"},
      [&](Object& object) {
        ++calls;
        EXPECT_TRUE(client_->patch(kConfigMaps, {ns_, "c"}, PatchType::Merge,
                                   {{"data", {{"n", std::to_string(calls)}}}}));
        object["data"]["key"] = "mine";
        return util::Result<Mutation>(Mutation::Changed);
      },
      options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Conflict);
  EXPECT_THAT(result.error().message, HasSubstr("after 3 attempts"));
  EXPECT_EQ(calls, 3);
}

TEST_F(KubeClientTest, UpdateWithRetrySkipsWriteWhenUnchanged) {
  auto created = client_->create(kConfigMaps, configMap(ns_, "c", "0"));
  ASSERT_TRUE(created);
  auto result = updateWithRetry(*client_, kConfigMaps, {ns_, "c"}, [](Object&) {
    return util::Result<Mutation>(Mutation::Unchanged);
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(resourceVersionOf(*result), resourceVersionOf(*created));
}

TEST_F(KubeClientTest, EventRecorderAggregatesRepeats) {
  auto involved = client_->create(kConfigMaps, configMap(ns_, "vm1", "v"));
  ASSERT_TRUE(involved);
  EventRecorder recorder(*client_, {"virtctl", "node1"});
  auto first = recorder.record(*involved, EventType::Warning, "StartFailed", "domain 'vm1' failed");
  ASSERT_TRUE(first) << first.error().message;
  auto second =
      recorder.record(*involved, EventType::Warning, "StartFailed", "domain 'vm1' failed");
  ASSERT_TRUE(second) << second.error().message;
  auto other = recorder.record(*involved, EventType::Normal, "Started", "domain 'vm1' started");
  ASSERT_TRUE(other) << other.error().message;

  auto events = client_->list(kEvents, ns_);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->items.size(), 2u);
  std::map<std::string, Object> by_reason;
  for (const Object& event : events->items) {
    by_reason[event.value("reason", "")] = event;
  }
  EXPECT_EQ(by_reason["StartFailed"]["count"], 2);
  EXPECT_EQ(by_reason["StartFailed"]["type"], "Warning");
  EXPECT_EQ(by_reason["StartFailed"]["involvedObject"]["name"], "vm1");
  EXPECT_EQ(by_reason["StartFailed"]["involvedObject"]["uid"], uidOf(*involved));
  EXPECT_EQ(by_reason["StartFailed"]["source"]["component"], "virtctl");
  EXPECT_EQ(by_reason["Started"]["count"], 1);

  // The Event expired on the server: the next repeat creates it again.
  ASSERT_TRUE(client_->remove(kEvents, ObjectKey::of(*first)));
  auto recreated =
      recorder.record(*involved, EventType::Warning, "StartFailed", "domain 'vm1' failed");
  ASSERT_TRUE(recreated) << recreated.error().message;
  EXPECT_EQ((*recreated)["count"], 1);
}

TEST_F(KubeClientTest, EventRecorderWritesEventsV1WithSeries) {
  auto involved = client_->create(kConfigMaps, configMap(ns_, "vm2", "v"));
  ASSERT_TRUE(involved);
  EventRecorder recorder(*client_, {"virtctl", "node1"}, util::Clock::real(), EventApi::EventsV1);
  auto first = recorder.record(*involved, EventType::Normal, "Started", "domain 'vm2' started");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(apiVersionOf(*first), "events.k8s.io/v1");
  EXPECT_EQ((*first)["regarding"]["name"], "vm2");
  EXPECT_EQ((*first)["reportingController"], "virtctl");
  auto second = recorder.record(*involved, EventType::Normal, "Started", "domain 'vm2' started");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(nameOf(*second), nameOf(*first));
  EXPECT_EQ((*second)["series"]["count"], 2);

  const ResourceRef events_v1{"events.k8s.io", "v1", "events", true};
  auto listed = client_->list(events_v1, ns_);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->items.size(), 1u);
}

TEST_F(KubeClientTest, RetriesTooManyRequestsUntilServed) {
  testing::SkippingClock clock;
  auto config = testing::clientConfigFor(*server_);
  ASSERT_TRUE(config);
  auto client = Client::create(*config, {}, clock);
  ASSERT_TRUE(client);
  ASSERT_TRUE(testing::injectFault(*server_, {{"failNext", {{"count", 2}, {"code", 429}}}}));
  auto version = (*client)->serverVersion();
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ((*client)->transport().requestsSent(), 3u);
  EXPECT_EQ(clock.slept().size(), 2u);
}

TEST_F(KubeClientTest, WrongTokenIsPermissionDenied) {
  auto config = testing::clientConfigFor(*server_);
  ASSERT_TRUE(config);
  config->token = TokenSource::fixed("not-a-valid-token");
  auto client = Client::create(*config);
  ASSERT_TRUE(client);
  auto listed = (*client)->list(kConfigMaps, ns_);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::PermissionDenied);
  EXPECT_EQ((*client)->transport().requestsSent(), 1u) << "401 must not be retried";
}

TEST_F(KubeClientTest, RefusesServerCertificateFromAnotherCa) {
  auto config = testing::clientConfigFor(*server_);
  ASSERT_TRUE(config);
  ASSERT_FALSE(config->ca_pem.empty()) << "kube-lite's kubeconfig should carry its CA";
  config->ca_pem = testing::makeTestPki("not kube-lite's CA").ca.cert_pem;
  TransportOptions options;
  options.max_attempts = 1;
  auto client = Client::create(*config, options);
  ASSERT_TRUE(client);
  auto version = (*client)->serverVersion();
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, ErrorCode::Unavailable);
}

TEST(KubeClientStartup, UnreachableServerFailsAfterBoundedAttempts) {
  univirt::testing::KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto config = testing::clientConfigFor(server);
  ASSERT_TRUE(config);
  server.stop();  // the kubeconfig now names a port nobody listens on

  testing::SkippingClock clock;
  TransportOptions options;
  options.max_attempts = 4;
  auto client = Client::create(*config, options, clock);
  ASSERT_TRUE(client);
  auto version = (*client)->serverVersion();
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(version.error().message, HasSubstr("gave up after 4 attempts"));
  EXPECT_EQ((*client)->transport().requestsSent(), 4u);
  ASSERT_EQ(clock.slept().size(), 3u);
  for (std::size_t i = 1; i < clock.slept().size(); ++i) {
    EXPECT_GT(clock.slept()[i], clock.slept()[i - 1]) << "backoff must grow, not spin";
  }
}

}  // namespace
}  // namespace univirt::kube
