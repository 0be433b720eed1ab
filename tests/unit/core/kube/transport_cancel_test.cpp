// A stop request ends a request while it is in flight, not only while it waits to be sent:
// the informer's initial list and any get must return at once when the daemon stops. Every
// case runs over plain HTTP and over TLS (Poco's TLS sockets write and reconnect differently).

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/transport.h"
#include "unit/core/kube/temp_dir.h"
#include "unit/core/kube/test_certs.h"
#include "unit/core/kube/test_server.h"

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using testing::RecordedRequest;
using testing::reply;
using testing::TestServer;
using util::ErrorCode;
using namespace std::chrono_literals;

// Generous against a loaded machine, far below the 20 s the server would hold the request.
constexpr auto kPromptly = 5s;

// Waits, bounded, until the server has received `count` requests.
bool waitForRequests(const TestServer& server, std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server.requests().size() < count) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

// A FakeClock that requests a stop from inside now() once armed. The transport reads the time
// when it takes its rate-limit token, just before it writes the request: the stop then lands
// between the last check of the token and the write.
class StopOnNowClock final : public util::Clock {
 public:
  TimePoint now() const override {
    if (std::stop_source* stop = armed_.exchange(nullptr)) {
      stop->request_stop();
    }
    return fake_.now();
  }
  WallTime wallNow() const override { return fake_.wallNow(); }
  bool sleepUntil(TimePoint deadline, std::stop_token stop) override {
    return fake_.sleepUntil(deadline, std::move(stop));
  }
  void arm(std::stop_source& stop) { armed_.store(&stop); }

 private:
  util::FakeClock fake_;
  mutable std::atomic<std::stop_source*> armed_{nullptr};
};

// GetParam(): true for TLS.
class TransportCancel : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto handler = [this](const RecordedRequest& request, auto& response) {
      // Requests to /slow are held until the test opens gate 1 (or the server closes).
      if (request.uri.starts_with("/slow")) {
        server_->waitForGate(1);
      }
      reply(response, 200, R"({"kind":"Status"})");
    };
    if (!GetParam()) {
      server_ = std::make_unique<TestServer>(handler);
      return;
    }
    pki_ = testing::makeTestPki();
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, dir_.write("server.key", pki_.leaf.key_pem),
        dir_.write("server.crt", pki_.leaf.cert_pem), dir_.write("ca.crt", pki_.ca.cert_pem),
        Poco::Net::Context::VERIFY_RELAXED);
    server_ = std::make_unique<TestServer>(handler, context);
  }

  std::unique_ptr<Transport> makeTransport(util::Clock& clock) {
    ClientConfig config;
    config.server = server_->url(GetParam());
    config.ca_pem = GetParam() ? pki_.ca.cert_pem : std::string();
    TransportOptions options;
    options.max_attempts = 5;
    auto transport = Transport::create(config, options, clock);
    EXPECT_TRUE(transport) << transport.error().message;
    return std::move(transport).value();
  }

  // Sends `target` in the background, stops it once the server holds it, and checks that it
  // returns promptly as cancelled, without a retry.
  void expectStopEndsRequestInFlight(Transport& transport, const std::string& target,
                                     std::size_t requests_before) {
    std::stop_source stop;
    HttpRequest request;
    request.target = target;
    auto pending =
        std::async(std::launch::async, [&] { return transport.send(request, stop.get_token()); });
    ASSERT_TRUE(waitForRequests(*server_, requests_before + 1));
    stop.request_stop();
    ASSERT_EQ(pending.wait_for(kPromptly), std::future_status::ready)
        << "the request did not observe the stop";
    auto response = pending.get();
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
    EXPECT_THAT(response.error().message, HasSubstr("'GET " + target + "' was cancelled"));
    EXPECT_EQ(server_->requests().size(), requests_before + 1) << "a cancelled request was retried";
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  std::unique_ptr<TestServer> server_;
  util::FakeClock clock_;
};

TEST_P(TransportCancel, StopEndsARequestInFlightOnANewConnection) {
  auto transport = makeTransport(clock_);
  expectStopEndsRequestInFlight(*transport, "/slow/list", 0);
  server_->openGate(1);
  // The cancelled connection is not reused; the next request gets a fresh one and works.
  HttpRequest request;
  request.target = "/fast";
  auto response = transport->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_P(TransportCancel, StopEndsARequestInFlightOnAReusedConnection) {
  auto transport = makeTransport(clock_);
  HttpRequest warm_up;
  warm_up.target = "/fast";
  ASSERT_TRUE(transport->send(warm_up));  // leaves a keep-alive connection in the pool
  expectStopEndsRequestInFlight(*transport, "/slow/get", 1);
  server_->openGate(1);
  auto response = transport->send(warm_up);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  auto seen = server_->requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].client, seen[1].client) << "the slow request did not reuse the connection";
  EXPECT_NE(seen[1].client, seen[2].client) << "a cancelled connection went back to the pool";
}

// The stop comes after the transport's last look at it but before the request is written:
// the request must still end promptly, and be sent at most once.
TEST_P(TransportCancel, StopJustBeforeTheWriteStillEndsTheRequest) {
  StopOnNowClock clock;
  auto transport = makeTransport(clock);
  HttpRequest warm_up;
  warm_up.target = "/fast";
  ASSERT_TRUE(transport->send(warm_up));
  std::stop_source stop;
  clock.arm(stop);
  HttpRequest request;
  request.target = "/slow/list";
  auto pending =
      std::async(std::launch::async, [&] { return transport->send(request, stop.get_token()); });
  ASSERT_EQ(pending.wait_for(kPromptly), std::future_status::ready)
      << "a stop that came just before the write did not end the request";
  auto response = pending.get();
  ASSERT_FALSE(response);
  EXPECT_THAT(response.error().message, HasSubstr("was cancelled"));
  EXPECT_LE(server_->requests().size(), 2u) << "the cancelled request was sent twice";
  server_->openGate(1);
}

TEST_P(TransportCancel, StopEndsAStreamWaitingForItsResponseHead) {
  auto transport = makeTransport(clock_);
  std::stop_source stop;
  HttpRequest request;
  request.target = "/slow/watch";
  auto pending = std::async(std::launch::async,
                            [&] { return transport->openStream(request, stop.get_token()); });
  ASSERT_TRUE(waitForRequests(*server_, 1));
  stop.request_stop();
  ASSERT_EQ(pending.wait_for(kPromptly), std::future_status::ready);
  auto opened = pending.get();
  ASSERT_FALSE(opened);
  EXPECT_THAT(opened.error().message, HasSubstr("was cancelled"));
  server_->openGate(1);
}

TEST_P(TransportCancel, RequestWithoutAStopRequestIsUnaffected) {
  auto transport = makeTransport(clock_);
  std::stop_source stop;  // never requested
  HttpRequest request;
  request.target = "/slow/list";
  auto pending =
      std::async(std::launch::async, [&] { return transport->send(request, stop.get_token()); });
  ASSERT_TRUE(waitForRequests(*server_, 1));
  server_->openGate(1);
  auto response = pending.get();
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server_->requests().size(), 1u);
}

std::string transportName(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Tls" : "Plain";
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, TransportCancel, ::testing::Bool(), transportName);

}  // namespace
}  // namespace univirt::kube
