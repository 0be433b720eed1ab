// Stopping must not wait for a slow API server: kube-lite delays every request by
// kServerLatency (fault injection), so a request that ignored its stop_token would hold
// stop() for that long. Each test stops a request the server is still sitting on.

#include <chrono>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/informer/informer.h"
#include "integration/kube_client/kube_lite_client.h"

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using util::ErrorCode;
using namespace std::chrono_literals;

const ResourceRef kNamespaces{"", "v1", "namespaces", false};
const ResourceRef kConfigMaps{"", "v1", "configmaps", true};

constexpr auto kServerLatency = 15s;
// Far below kServerLatency, generous against a loaded machine.
constexpr auto kStopBound = 3s;

class KubeCancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    TransportOptions options;
    options.max_attempts = 1;
    options.connect_timeout = 2s;
    auto client = testing::clientFor(server_, options);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
    ASSERT_TRUE(client_->create(
        kNamespaces, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}));
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(
          client_->create(kConfigMaps, {{"apiVersion", "v1"},
                                        {"kind", "ConfigMap"},
                                        {"metadata", {{"name", name}, {"namespace", ns_}}}}));
    }
    ASSERT_TRUE(testing::injectFault(server_, {{"latencyMs", kServerLatency / 1ms}}));
  }

  // Waits (bounded) until the client has put one more request on the wire than `before`.
  bool waitForRequestSent(std::uint64_t before) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (client_->transport().requestsSent() <= before) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::yield();
    }
    return true;
  }

  univirt::testing::KubeLiteProcess server_{testing::faultInjectingOptions()};
  util::FakeClock clock_;
  std::unique_ptr<Client> client_;
  std::string ns_ = "cancel";
};

TEST_F(KubeCancelTest, InformerStopCancelsTheInitialListInFlight) {
  ListWatch list_watch;
  list_watch.client = client_.get();
  list_watch.resource = kConfigMaps;
  list_watch.namespace_name = ns_;
  Informer informer(list_watch, {}, clock_);
  std::atomic<int> adds{0};
  EventHandlers handlers;
  handlers.on_add = [&adds](const Object&) { adds.fetch_add(1); };
  informer.addHandlers(handlers);
  std::uint64_t before = client_->transport().requestsSent();
  informer.start();
  ASSERT_TRUE(waitForRequestSent(before));

  auto stop_started = std::chrono::steady_clock::now();
  informer.stop();
  auto took = std::chrono::steady_clock::now() - stop_started;
  EXPECT_LT(took, kStopBound) << "stop() waited for the list: "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms";
  EXPECT_FALSE(informer.hasSynced());
  EXPECT_EQ(informer.stats().lists, 0u);
  EXPECT_EQ(adds.load(), 0);
  EXPECT_EQ(client_->transport().requestsSent(), before + 1) << "the cancelled list was retried";
}

TEST_F(KubeCancelTest, StopCancelsAGetInFlightAndTheClientStaysUsable) {
  std::stop_source stop;
  std::uint64_t before = client_->transport().requestsSent();
  auto pending = std::async(std::launch::async, [&] {
    return client_->get(kConfigMaps, {ns_, "a"}, stop.get_token());
  });
  ASSERT_TRUE(waitForRequestSent(before));
  stop.request_stop();
  ASSERT_EQ(pending.wait_for(kStopBound), std::future_status::ready)
      << "the get did not observe its stop_token";
  auto got = pending.get();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(got.error().message, HasSubstr("was cancelled"));

  ASSERT_TRUE(testing::injectFault(server_, {{"latencyMs", 0}}));
  auto again = client_->get(kConfigMaps, {ns_, "a"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(nameOf(*again), "a");
}

}  // namespace
}  // namespace univirt::kube
