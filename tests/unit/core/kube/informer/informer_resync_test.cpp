// Periodic resync (client-go's resyncPeriod): every period, each cached object goes to
// on_update with old == new. The informer runs against a scripted API server on 127.0.0.1 that
// lists three ConfigMaps and then holds the watch open; time is a FakeClock, so the test moves
// through resync periods without sleeping.

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/informer/informer.h"
#include "unit/core/kube/test_server.h"

namespace univirt::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::RecordedRequest;
using testing::reply;
using testing::TestServer;
using namespace std::chrono_literals;

const ResourceRef kConfigMaps{"", "v1", "configmaps", true};
constexpr auto kResyncPeriod = 30s;

nlohmann::json configMap(const std::string& name, const std::string& resource_version) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", name}, {"namespace", "default"}, {"resourceVersion", resource_version}}}};
}

// The API server: one page of a, b, c at resourceVersion 10; a watch stays open, sends an
// ADDED event for d once the test opens gate 1, and ends when the server closes.
void serveConfigMaps(TestServer& server, const RecordedRequest& request,
                     Poco::Net::HTTPServerResponse& response) {
  if (request.uri.find("watch=true") == std::string::npos) {
    nlohmann::json list = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMapList"},
        {"metadata", {{"resourceVersion", "10"}}},
        {"items", {configMap("a", "5"), configMap("b", "6"), configMap("c", "7")}}};
    reply(response, 200, list.dump());
    return;
  }
  response.setChunkedTransferEncoding(true);
  response.setContentType("application/json");
  std::ostream& out = response.send();
  out << std::flush;
  if (!server.waitForGate(1)) {
    return;
  }
  nlohmann::json event = {{"type", "ADDED"}, {"object", configMap("d", "11")}};
  out << event.dump() << "\n" << std::flush;
  server.waitForGate(2);  // held until the server closes
}

// What the handlers saw: "add a", "update a" (only with old == new; anything else fails the
// test), "delete a".
class HandlerLog {
 public:
  EventHandlers handlers() {
    EventHandlers out;
    out.on_add = [this](const Object& o) { push("add " + nameOf(o)); };
    out.on_update = [this](const Object& old_object, const Object& new_object) {
      EXPECT_EQ(old_object, new_object) << "a resync delivers the cached object as old and new";
      push("update " + nameOf(new_object));
    };
    out.on_delete = [this](const Object& o) { push("delete " + nameOf(o)); };
    return out;
  }
  bool waitForSize(std::size_t size) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 20s, [&] { return entries_.size() >= size; });
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }
  // Entries after the first `skip`, sorted.
  std::vector<std::string> since(std::size_t skip) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out(entries_.begin() + static_cast<std::ptrdiff_t>(skip),
                                 entries_.end());
    std::sort(out.begin(), out.end());
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

// A FakeClock that also records how far ahead each sleep reaches: the test then knows that the
// resync thread has chosen its next deadline, and which one, before it moves time.
class RecordingClock final : public util::Clock {
 public:
  TimePoint now() const override { return fake_.now(); }
  WallTime wallNow() const override { return fake_.wallNow(); }
  bool sleepUntil(TimePoint deadline, std::stop_token stop) override {
    {
      std::lock_guard lock(mu_);
      sleeps_.push_back(deadline - fake_.now());
    }
    changed_.notify_all();
    return fake_.sleepUntil(deadline, std::move(stop));
  }

  void advance(Duration duration) { fake_.advance(duration); }
  int sleepers() const { return fake_.sleepers(); }
  // Waits (bounded) until `count` sleeps began; returns the length of each.
  std::vector<Duration> waitForSleeps(std::size_t count) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, 20s, [&] { return sleeps_.size() >= count; });
    return sleeps_;
  }

 private:
  util::FakeClock fake_;
  std::mutex mu_;
  std::condition_variable changed_;  // guarded by mu_
  std::vector<Duration> sleeps_;     // guarded by mu_
};

class InformerResync : public ::testing::Test {
 protected:
  void SetUp() override {
    ClientConfig config;
    config.server = server_.url();
    auto client = Client::create(config, {}, clock_);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
  }

  std::unique_ptr<Informer> makeInformer(util::Clock::Duration resync_period) {
    ListWatch list_watch;
    list_watch.client = client_.get();
    list_watch.resource = kConfigMaps;
    list_watch.namespace_name = "default";
    auto informer = std::make_unique<Informer>(list_watch, std::vector<std::string>{}, clock_);
    informer->addHandlers(log_.handlers());
    if (resync_period.count() > 0) {
      informer->setResyncPeriod(resync_period);
    }
    return informer;
  }

  // Starts the informer and waits until its three adds were delivered.
  void startAndSync(Informer& informer) {
    informer.start();
    ASSERT_TRUE(informer.waitForSync(20s));
    ASSERT_THAT(log_.entries(), ElementsAre("add a", "add b", "add c"));
  }

  TestServer server_{[this](const RecordedRequest& request, auto& response) {
    serveConfigMaps(server_, request, response);
  }};
  RecordingClock clock_;
  std::unique_ptr<Client> client_;
  HandlerLog log_;
};

TEST_F(InformerResync, DeliversEveryCachedObjectOncePerPeriodAndNotBefore) {
  auto informer = makeInformer(kResyncPeriod);
  startAndSync(*informer);
  // The first round is due one whole period after the sync (the reflector, blocked in its
  // watch, does not sleep on the clock: every sleep is the resync thread's).
  EXPECT_THAT(clock_.waitForSleeps(1), ElementsAre(kResyncPeriod));
  clock_.advance(kResyncPeriod - 1ms);
  EXPECT_EQ(log_.entries().size(), 3u) << "a resync came before its period";

  clock_.advance(1ms);
  ASSERT_TRUE(log_.waitForSize(6));
  EXPECT_THAT(log_.since(3), ElementsAre("update a", "update b", "update c"));
  // Back asleep for a whole period: nothing more until the clock moves.
  EXPECT_THAT(clock_.waitForSleeps(2), ElementsAre(kResyncPeriod, kResyncPeriod));
  EXPECT_EQ(log_.entries().size(), 6u) << "more than one round per period";

  // A change the watch delivers in between is part of the next round, once.
  server_.openGate(1);
  ASSERT_TRUE(log_.waitForSize(7));
  EXPECT_EQ(log_.entries()[6], "add d");
  clock_.advance(kResyncPeriod);
  ASSERT_TRUE(log_.waitForSize(11));
  EXPECT_THAT(log_.since(7), ElementsAre("update a", "update b", "update c", "update d"));
  EXPECT_EQ(clock_.waitForSleeps(3).size(), 3u);
  EXPECT_EQ(log_.entries().size(), 11u) << "more than one round per period";
  EXPECT_EQ(informer->stats().resyncs, 2u);
  EXPECT_EQ(informer->stats().lists, 1u) << "a resync reads the cache, not the server";
}

TEST_F(InformerResync, StopsWithTheInformer) {
  auto informer = makeInformer(kResyncPeriod);
  startAndSync(*informer);
  ASSERT_EQ(clock_.waitForSleeps(1).size(), 1u);
  clock_.advance(kResyncPeriod);
  ASSERT_TRUE(log_.waitForSize(6));
  ASSERT_EQ(clock_.waitForSleeps(2).size(), 2u);

  informer->stop();
  EXPECT_EQ(clock_.sleepers(), 0) << "the resync thread still waits for its next period";
  clock_.advance(10 * kResyncPeriod);
  EXPECT_EQ(log_.entries().size(), 6u);
  EXPECT_EQ(informer->stats().resyncs, 1u);
}

TEST_F(InformerResync, IsOffByDefault) {
  auto informer = makeInformer(0s);
  startAndSync(*informer);
  EXPECT_EQ(clock_.sleepers(), 0) << "something waits for a resync that is off";
  clock_.advance(24h);
  server_.openGate(1);
  ASSERT_TRUE(log_.waitForSize(4));
  EXPECT_THAT(log_.entries(), ElementsAre("add a", "add b", "add c", "add d"));
  EXPECT_EQ(informer->stats().resyncs, 0u);
}

TEST_F(InformerResync, StopBeforeTheFirstSyncEndsTheResyncThreadToo) {
  // Nothing listens here: the list fails and the reflector backs off on the fake clock.
  std::uint16_t port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }
  ClientConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  TransportOptions options;
  options.max_attempts = 1;
  auto client = Client::create(config, options, clock_);
  ASSERT_TRUE(client) << client.error().message;
  ListWatch list_watch;
  list_watch.client = client->get();
  list_watch.resource = kConfigMaps;
  Informer informer(list_watch, {}, clock_);
  informer.addHandlers(log_.handlers());
  informer.setResyncPeriod(kResyncPeriod);
  informer.start();
  ASSERT_EQ(clock_.waitForSleeps(1).size(), 1u);  // the reflector's backoff
  EXPECT_FALSE(informer.hasSynced());
  informer.stop();
  EXPECT_EQ(clock_.sleepers(), 0);
  EXPECT_THAT(log_.entries(), IsEmpty());
}

}  // namespace
}  // namespace univirt::kube
