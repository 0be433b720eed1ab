// Watches: initial events, resume from a list RV, 410, bookmarks, timeouts, selector
// transitions, Table watches, sendInitialEvents, and the fault-injection switch.

#include <gtest/gtest.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kEventWait{10};

class Watch : public ::testing::Test {
 protected:
  static KubeLiteOptions watchOptions() {
    KubeLiteOptions options;
    options.fault_injection = true;
    options.bookmark_interval_seconds = 0.2;
    options.watch_history = 50;
    return options;
  }
  Watch() : server_(watchOptions()) {}
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    http_ = std::make_unique<KubeHttp>(server_);
    ASSERT_EQ(installCrd(*http_, "virtualmachine-crd.yaml"), 201);
  }
  std::string vmPath(const std::string& name) { return std::string(kVmPath) + "/" + name; }
  std::string watchPath(const std::string& query) {
    return std::string(kVmPath) + "?watch=true" + query;
  }
  std::string listRv() { return http_->get(kVmPath).json()["metadata"]["resourceVersion"]; }
  KubeLiteProcess server_;
  std::unique_ptr<KubeHttp> http_;
};

TEST_F(Watch, UnsetOrZeroResourceVersionStartsWithAddedForEveryObject) {
  ASSERT_EQ(http_->post(kVmPath, vm("a")).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("b")).status, 201);
  for (const std::string& query : {std::string(), std::string("&resourceVersion=0")}) {
    auto watch = http_->stream(watchPath(query));
    ASSERT_EQ(watch->status(), 200);
    for (const char* name : {"a", "b"}) {
      auto event = watch->nextEvent(kEventWait);
      ASSERT_TRUE(event);
      EXPECT_EQ((*event)["type"], "ADDED");
      EXPECT_EQ((*event)["object"]["metadata"]["name"], name);
    }
  }
}

TEST_F(Watch, FromListResourceVersionSeesOnlyLaterChangesInOrder) {
  ASSERT_EQ(http_->post(kVmPath, vm("old")).status, 201);
  auto watch = http_->stream(watchPath("&resourceVersion=" + listRv()));
  json created = http_->post(kVmPath, vm("vm1")).json();
  json modified = http_->patch(vmPath("vm1"), {{"spec", {{"powerstate", "Shutdown"}}}}).json();
  ASSERT_EQ(http_->del(vmPath("vm1")).status, 200);
  std::vector<std::string> types;
  std::vector<long long> rvs;
  for (int i = 0; i < 3; ++i) {
    auto event = watch->nextEvent(kEventWait);
    ASSERT_TRUE(event);
    types.push_back((*event)["type"]);
    rvs.push_back(std::stoll((*event)["object"]["metadata"]["resourceVersion"].get<std::string>()));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
  EXPECT_EQ(std::to_string(rvs[0]), created["metadata"]["resourceVersion"]);
  EXPECT_EQ(std::to_string(rvs[1]), modified["metadata"]["resourceVersion"]);
  EXPECT_GT(rvs[2], rvs[1]);
  EXPECT_FALSE(watch->nextLine(milliseconds(300)).has_value());  // no duplicates
}

TEST_F(Watch, NoOpUpdateEmitsNoEvent) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  auto watch = http_->stream(watchPath("&resourceVersion=" + listRv()));
  ASSERT_EQ(http_->patch(vmPath("vm1"), {{"spec", {{"powerstate", "Running"}}}}).status, 200);
  ASSERT_EQ(http_->patch(vmPath("vm1"), {{"spec", {{"powerstate", "Paused"}}}}).status, 200);
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["object"]["spec"]["powerstate"], "Paused");
}

TEST_F(Watch, StatusUpdateEmitsOneModified) {
  ASSERT_EQ(installCrd(*http_, "widget-crd.yaml"), 201);
  json widget = {{"apiVersion", "example.com/v1"},
                 {"kind", "Widget"},
                 {"metadata", {{"name", "w1"}}},
                 {"spec", {{"cpu", 1}}}};
  ASSERT_EQ(http_->post(kWidgetPath, widget).status, 201);
  std::string rv = http_->get(kWidgetPath).json()["metadata"]["resourceVersion"];
  auto watch = http_->stream(std::string(kWidgetPath) + "?watch=true&resourceVersion=" + rv);
  auto updated =
      http_->patch(std::string(kWidgetPath) + "/w1/status", {{"status", {{"phase", "Ready"}}}});
  ASSERT_EQ(updated.status, 200);
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["type"], "MODIFIED");
  EXPECT_EQ((*event)["object"]["metadata"]["resourceVersion"],
            updated.json()["metadata"]["resourceVersion"]);
  EXPECT_FALSE(watch->nextLine(milliseconds(300)).has_value());
}

TEST_F(Watch, TooOldResourceVersionGetsExpiredErrorEvent) {
  std::string old_rv = listRv();
  for (int i = 0; i < 60; ++i) {  // more than --watch-history=50
    ASSERT_EQ(http_->post(kVmPath, vm("vm" + std::to_string(i))).status, 201);
  }
  auto watch = http_->stream(watchPath("&resourceVersion=" + old_rv));
  ASSERT_EQ(watch->status(), 200);
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["type"], "ERROR");
  json status = (*event)["object"];
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["code"], 410);
  EXPECT_EQ(status["reason"], "Expired");
  EXPECT_EQ(status["message"].get<std::string>().rfind("too old resource version: ", 0), 0u);
  EXPECT_TRUE(watch->ended(kEventWait));
}

TEST_F(Watch, BookmarksCarryOnlyKindApiVersionAndResourceVersion) {
  auto watch = http_->stream(watchPath("&allowWatchBookmarks=true&resourceVersion=" + listRv()));
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["type"], "BOOKMARK");
  json object = (*event)["object"];
  EXPECT_EQ(object["kind"], "VirtualMachine");
  EXPECT_EQ(object["apiVersion"], "doslab.io/v1");
  EXPECT_EQ(object["metadata"].size(), 1u);
  EXPECT_TRUE(object["metadata"].contains("resourceVersion"));
}

TEST_F(Watch, TimeoutSecondsEndsTheStreamCleanly) {
  auto start = std::chrono::steady_clock::now();
  auto watch = http_->stream(watchPath("&timeoutSeconds=1"));
  EXPECT_TRUE(watch->ended(kEventWait));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, seconds(5));
}

TEST_F(Watch, WatchBooleansAcceptGoForms) {
  for (const char* value : {"1", "True", "true", "t"}) {
    auto watch = http_->stream(std::string(kVmPath) + "?watch=" + value + "&timeoutSeconds=1");
    EXPECT_EQ(watch->status(), 200) << value;
    EXPECT_EQ(watch->contentType(), "application/json") << value;
  }
}

TEST_F(Watch, SelectorTransitionsBecomeAddedAndDeleted) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1", "Running", {{"env", "dev"}})).status, 201);
  auto watch = http_->stream(watchPath("&labelSelector=env%3Dprod&resourceVersion=" + listRv()));
  ASSERT_EQ(http_->patch(vmPath("vm1"), {{"metadata", {{"labels", {{"env", "prod"}}}}}}).status,
            200);
  ASSERT_EQ(http_->patch(vmPath("vm1"), {{"metadata", {{"labels", {{"env", "dev"}}}}}}).status,
            200);
  auto added = watch->nextEvent(kEventWait);
  auto deleted = watch->nextEvent(kEventWait);
  ASSERT_TRUE(added && deleted);
  EXPECT_EQ((*added)["type"], "ADDED");
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_EQ((*deleted)["object"]["metadata"]["labels"]["env"], "dev");
}

TEST_F(Watch, FieldSelectorOnNameForSingleObjectWatch) {
  ASSERT_EQ(http_->post(kVmPath, vm("a")).status, 201);
  ASSERT_EQ(http_->post(kVmPath, vm("b")).status, 201);
  auto watch = http_->stream(watchPath("&fieldSelector=metadata.name%3Db&resourceVersion=0"));
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["object"]["metadata"]["name"], "b");
  EXPECT_FALSE(watch->nextLine(milliseconds(300)).has_value());
}

TEST_F(Watch, TableWatchWrapsEachEventWithColumnsOnlyFirst) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  auto watch = http_->stream(watchPath(""), "application/json;as=Table;v=v1;g=meta.k8s.io");
  auto first = watch->nextEvent(kEventWait);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["object"]["kind"], "Table");
  EXPECT_TRUE((*first)["object"].contains("columnDefinitions"));
  ASSERT_EQ((*first)["object"]["rows"].size(), 1u);
  ASSERT_EQ(http_->patch(vmPath("vm1"), {{"spec", {{"powerstate", "Paused"}}}}).status, 200);
  auto second = watch->nextEvent(kEventWait);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["type"], "MODIFIED");
  EXPECT_FALSE((*second)["object"].contains("columnDefinitions"));
  EXPECT_EQ((*second)["object"]["rows"][0]["cells"][5], "Paused");
}

TEST_F(Watch, SendInitialEventsEndsInitialStateWithAnnotatedBookmark) {
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  auto watch =
      http_->stream(watchPath("&sendInitialEvents=true&allowWatchBookmarks=true&"
                              "resourceVersionMatch=NotOlderThan"));
  auto added = watch->nextEvent(kEventWait);
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  std::optional<json> bookmark;
  do {
    bookmark = watch->nextEvent(kEventWait);
  } while (bookmark && !(*bookmark)["object"]["metadata"].contains("annotations"));
  ASSERT_TRUE(bookmark);
  EXPECT_EQ((*bookmark)["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  // Without the bookmark flag the request is refused rather than silently ignored.
  auto refused = http_->get(watchPath("&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"));
  EXPECT_EQ(refused.status, 422);
}

TEST_F(Watch, FaultDropWatchesEndsOpenStreams) {
  auto watch = http_->stream(watchPath(""));
  ASSERT_EQ(http_->post("/kube-lite/faults", {{"dropWatches", true}}).status, 200);
  EXPECT_TRUE(watch->ended(kEventWait));
}

TEST_F(Watch, FaultCompactForcesExpiredForOldVersions) {
  std::string rv = listRv();
  ASSERT_EQ(http_->post(kVmPath, vm("vm1")).status, 201);
  ASSERT_EQ(http_->post("/kube-lite/faults", {{"compact", true}}).status, 200);
  auto watch = http_->stream(watchPath("&resourceVersion=" + rv));
  auto event = watch->nextEvent(kEventWait);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["object"]["code"], 410);
}

TEST_F(Watch, FaultFailNextAnswers429WithRetryAfterThenRecovers) {
  ASSERT_EQ(http_->post("/kube-lite/faults", {{"failNext", {{"count", 2}, {"code", 429}}}}).status,
            200);
  for (int i = 0; i < 2; ++i) {
    auto resp = http_->get(kVmPath);
    ASSERT_EQ(resp.status, 429);
    EXPECT_EQ(resp.header("retry-after"), "1");
    EXPECT_EQ(resp.json()["details"]["retryAfterSeconds"], 1);
    EXPECT_EQ(resp.json()["reason"], "TooManyRequests");
  }
  EXPECT_EQ(http_->get(kVmPath).status, 200);
  ASSERT_EQ(http_->post("/kube-lite/faults", {{"failNext", {{"count", 1}, {"code", 500}}}}).status,
            200);
  EXPECT_EQ(http_->get(kVmPath).status, 500);
}

TEST_F(Watch, FaultLatencyDelaysRequests) {
  ASSERT_EQ(http_->post("/kube-lite/faults", {{"latencyMs", 300}}).status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(http_->get(kVmPath).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
}

TEST(WatchFaults, EndpointAbsentUnlessEnabled) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  KubeHttp http(server);
  EXPECT_EQ(http.post("/kube-lite/faults", {{"dropWatches", true}}).status, 404);
}

}  // namespace
}  // namespace univirt::testing
