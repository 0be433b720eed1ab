#include "core/kube/transport.h"

#include <future>
#include <thread>

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/ServerSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/kube/detail/rate_limiter.h"
#include "unit/core/kube/skipping_clock.h"
#include "unit/core/kube/temp_dir.h"
#include "unit/core/kube/test_certs.h"
#include "unit/core/kube/test_server.h"

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using testing::RecordedRequest;
using testing::reply;
using testing::SkippingClock;
using testing::TestServer;
using util::ErrorCode;
using namespace std::chrono_literals;

ClientConfig plainConfig(const TestServer& server, std::string token = {}) {
  ClientConfig config;
  config.server = server.url();
  config.token = TokenSource::fixed(std::move(token));
  return config;
}

TransportOptions fastOptions(int max_attempts = 3) {
  TransportOptions options;
  options.max_attempts = max_attempts;
  options.connect_timeout = 2s;
  options.io_timeout = 5s;
  return options;
}

std::unique_ptr<Transport> makeTransport(const ClientConfig& config,
                                         const TransportOptions& options, util::Clock& clock) {
  auto transport = Transport::create(config, options, clock);
  EXPECT_TRUE(transport) << transport.error().message;
  return std::move(transport).value();
}

TEST(Transport, SendsRequestWithTokenAndReusesTheConnection) {
  TestServer server([](const RecordedRequest&, auto& response) { reply(response, 200, "{}"); });
  util::FakeClock clock;
  auto transport = makeTransport(plainConfig(server, "tok"), fastOptions(), clock);
  HttpRequest request;
  request.method = "POST";
  request.target = "/api/v1/namespaces/default/events";
  request.body = R"({"a":1})";
  auto first = transport->send(request);
  auto second = transport->send(request);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->status, 200);
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].uri, "/api/v1/namespaces/default/events");
  EXPECT_EQ(seen[0].body, R"({"a":1})");
  EXPECT_EQ(seen[0].content_type, "application/json");
  EXPECT_EQ(seen[0].authorization, "Bearer tok");
  EXPECT_EQ(seen[0].client, seen[1].client) << "the second request used a new connection";
}

TEST(Transport, ReReadsRotatedTokenFile) {
  TestServer server([](const RecordedRequest&, auto& response) { reply(response, 200, "{}"); });
  testing::TempDir dir;
  std::string path = dir.write("token", "first");
  ClientConfig config = plainConfig(server);
  config.token = TokenSource::file(path);
  util::FakeClock clock;
  auto transport = makeTransport(config, fastOptions(), clock);
  HttpRequest request;
  request.target = "/version";
  ASSERT_TRUE(transport->send(request));
  std::filesystem::rename(dir.write("token.new", "second-token"), path);
  ASSERT_TRUE(transport->send(request));
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].authorization, "Bearer first");
  EXPECT_EQ(seen[1].authorization, "Bearer second-token");
}

TEST(Transport, RetriesTooManyRequestsAfterRetryAfter) {
  std::atomic<int> calls{0};
  SkippingClock clock;
  TestServer server([&](const RecordedRequest&, auto& response) {
    if (calls.fetch_add(1) == 0) {
      reply(response, 429, R"({"kind":"Status","code":429})", {{"Retry-After", "3"}});
      return;
    }
    reply(response, 200, R"({"ok":true})");
  });
  auto transport = makeTransport(plainConfig(server), fastOptions(), clock);
  HttpRequest request;
  request.target = "/apis/doslab.io/v1/virtualmachines";
  auto response = transport->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_THAT(clock.slept(), ::testing::ElementsAre(3s));
  EXPECT_EQ(transport->requestsSent(), 2u);
}

TEST(Transport, RetriesServerErrorsWithGrowingBackoffThenReturnsTheLastResponse) {
  SkippingClock clock;
  TestServer server([&](const RecordedRequest&, auto& response) {
    reply(response, 503, R"({"kind":"Status","code":503})");
  });
  TransportOptions options = fastOptions(4);
  options.retry_backoff = util::BackoffPolicy{1000ms, 60'000ms, 2.0, 0.0};
  auto transport = makeTransport(plainConfig(server), options, clock);
  HttpRequest request;
  request.method = "PATCH";
  request.target = "/x";
  request.body = "{}";
  auto response = transport->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_THAT(clock.slept(), ::testing::ElementsAre(1s, 2s, 4s));
}

TEST(Transport, NeverRetriesOtherClientErrors) {
  for (int status : {400, 401, 403, 404, 409, 410, 422}) {
    TestServer server([&](const RecordedRequest&, auto& response) {
      reply(response, status, R"({"kind":"Status"})");
    });
    util::FakeClock clock;
    auto transport = makeTransport(plainConfig(server), fastOptions(), clock);
    HttpRequest request;
    request.target = "/x";
    auto response = transport->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(server.requests().size(), 1u) << "status " << status << " was retried";
  }
}

TEST(Transport, UnreachableServerGivesUpAfterBoundedAttempts) {
  std::uint16_t port = 0;
  {
    // A port that was just free: nothing listens there any more.
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }
  ClientConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  SkippingClock clock;
  TransportOptions options = fastOptions(3);
  options.retry_backoff = util::BackoffPolicy{500ms, 60'000ms, 2.0, 0.0};
  auto transport = makeTransport(config, options, clock);
  HttpRequest request;
  request.method = "POST";  // not yet sent, so retried even though POST is not idempotent
  request.target = "/x";
  auto response = transport->send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(response.error().message, HasSubstr(config.server));
  EXPECT_THAT(response.error().message, HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(transport->requestsSent(), 3u);
  // Two waits between three attempts, and no more.
  EXPECT_THAT(clock.slept(), ::testing::ElementsAre(500ms, 1000ms));
}

TEST(Transport, RetriesOnlyIdempotentRequestsWhenTheConnectionDiesAfterSending) {
  // The server reads the request, then hangs up without answering.
  TestServer server([](const RecordedRequest& request, auto&) {
    dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(*request.live).socket().shutdown();
  });
  SkippingClock clock;
  auto transport = makeTransport(plainConfig(server), fastOptions(3), clock);

  HttpRequest post;
  post.method = "POST";
  post.target = "/api/v1/namespaces/default/configmaps";
  post.body = "{}";
  auto created = transport->send(post);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(created.error().message, HasSubstr("may or may not have been applied"));
  EXPECT_EQ(server.requests().size(), 1u) << "a POST that reached the server was sent again";

  HttpRequest get;
  get.target = "/api/v1/namespaces/default/configmaps/x";
  auto got = transport->send(get);
  ASSERT_FALSE(got);
  EXPECT_EQ(server.requests().size(), 4u) << "a GET is safe to retry: 3 attempts expected";
}

TEST(Transport, StopRequestCancelsRetryWait) {
  TestServer server([](const RecordedRequest&, auto& response) { reply(response, 500, "{}"); });
  util::FakeClock clock;
  auto transport = makeTransport(plainConfig(server), fastOptions(10), clock);
  std::stop_source stop;
  HttpRequest request;
  request.target = "/x";
  auto future =
      std::async(std::launch::async, [&] { return transport->send(request, stop.get_token()); });
  ASSERT_TRUE(clock.waitForSleepers(1, 10s));
  stop.request_stop();
  auto response = future.get();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(response.error().message, HasSubstr("cancelled"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(Transport, StreamDeliversLinesAsTheyArriveAndEndsCleanly) {
  TestServer server([&](const RecordedRequest&, auto& response) {
    response.setChunkedTransferEncoding(true);
    response.setContentType("application/json");
    std::ostream& out = response.send();
    out << "{\"n\":1}\n" << std::flush;
    if (!server.waitForGate(1)) {
      return;
    }
    out << "{\"n\":2}\n" << std::flush;
  });
  util::FakeClock clock;
  auto transport = makeTransport(plainConfig(server), fastOptions(), clock);
  HttpRequest request;
  request.target = "/watch";
  auto opened = transport->openStream(request);
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_NE(opened->stream, nullptr);
  // The first line must arrive while the server still holds the second one back.
  auto first = opened->stream->readLine();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->value_or(""), R"({"n":1})");
  server.openGate(1);
  auto second = opened->stream->readLine();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->value_or(""), R"({"n":2})");
  auto end = opened->stream->readLine();
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_FALSE(end->has_value());
}

TEST(Transport, CancelUnblocksAStreamRead) {
  TestServer server([&](const RecordedRequest&, auto& response) {
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    out << "{}\n" << std::flush;
    server.waitForGate(1);  // hold the stream open until the test ends
  });
  util::FakeClock clock;
  auto transport = makeTransport(plainConfig(server), fastOptions(), clock);
  HttpRequest request;
  request.target = "/watch";
  auto opened = transport->openStream(request);
  ASSERT_TRUE(opened) << opened.error().message;
  ResponseStream& stream = *opened->stream;
  ASSERT_TRUE(stream.readLine());
  auto blocked = std::async(std::launch::async, [&] { return stream.readLine(); });
  EXPECT_EQ(blocked.wait_for(50ms), std::future_status::timeout);
  stream.cancel();
  ASSERT_EQ(blocked.wait_for(10s), std::future_status::ready);
  auto line = blocked.get();
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code, ErrorCode::Unavailable);
  server.openGate(1);
}

TEST(Transport, NonSuccessStreamReturnsTheBody) {
  TestServer server([](const RecordedRequest&, auto& response) {
    reply(response, 403, R"({"kind":"Status","reason":"Forbidden"})");
  });
  util::FakeClock clock;
  auto transport = makeTransport(plainConfig(server), fastOptions(), clock);
  HttpRequest request;
  request.target = "/watch";
  auto opened = transport->openStream(request);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->stream, nullptr);
  EXPECT_EQ(opened->head.status, 403);
  EXPECT_EQ(opened->head.body, R"({"kind":"Status","reason":"Forbidden"})");
}

TEST(RateLimiter, AllowsBurstThenSpacesRequestsAtQps) {
  util::FakeClock clock;
  detail::RateLimiter limiter(10.0, 2, clock);
  EXPECT_TRUE(limiter.acquire({}));
  EXPECT_TRUE(limiter.acquire({}));
  auto third = std::async(std::launch::async, [&] { return limiter.acquire({}); });
  ASSERT_TRUE(clock.waitForSleepers(1, 10s));
  clock.advance(99ms);
  EXPECT_EQ(third.wait_for(20ms), std::future_status::timeout);
  clock.advance(1ms);
  EXPECT_TRUE(third.get());
}

class TransportTls : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = testing::makeTestPki();
    std::string key = dir_.write("server.key", pki_.leaf.key_pem);
    std::string cert = dir_.write("server.crt", pki_.leaf.cert_pem);
    std::string ca = dir_.write("ca.crt", pki_.ca.cert_pem);
    server_context_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, ca,
                                             Poco::Net::Context::VERIFY_RELAXED);
    server_ = std::make_unique<TestServer>(
        [](const RecordedRequest&, auto& response) { reply(response, 200, R"({"tls":true})"); },
        server_context_);
  }

  util::Result<HttpResponse> get(const ClientConfig& config) {
    TransportOptions options = fastOptions(1);
    auto transport = Transport::create(config, options, clock_);
    if (!transport) {
      return std::move(transport).error();
    }
    HttpRequest request;
    request.target = "/version";
    return (*transport)->send(request);
  }

  ClientConfig config(const std::string& host = "127.0.0.1") {
    ClientConfig out;
    out.server = "https://" + host + ":" + std::to_string(server_->port());
    out.ca_pem = pki_.ca.cert_pem;
    return out;
  }

  testing::TempDir dir_;
  testing::TestPki pki_;
  Poco::Net::Context::Ptr server_context_;
  std::unique_ptr<TestServer> server_;
  util::FakeClock clock_;
};

TEST_F(TransportTls, VerifiesServerAgainstConfiguredCa) {
  auto response = get(config());
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, R"({"tls":true})");
}

TEST_F(TransportTls, VerifiesDnsNameToo) {
  auto response = get(config("localhost"));
  ASSERT_TRUE(response) << response.error().message;
}

TEST_F(TransportTls, RefusesServerSignedByAnotherCa) {
  ClientConfig wrong = config();
  wrong.ca_pem = testing::makeTestPki("some other CA").ca.cert_pem;
  auto response = get(wrong);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(TransportTls, RefusesCertificateForAnotherName) {
  ClientConfig wrong = config();
  wrong.tls_server_name = "api.example.com";
  auto response = get(wrong);
  ASSERT_FALSE(response);
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(TransportTls, InsecureSkipVerifyAcceptsAnyCertificate) {
  ClientConfig insecure = config();
  insecure.ca_pem.clear();
  insecure.insecure_skip_tls_verify = true;
  auto response = get(insecure);
  ASSERT_TRUE(response) << response.error().message;
}

TEST_F(TransportTls, RejectsGarbageCa) {
  ClientConfig bad = config();
  bad.ca_pem = "not a certificate";
  auto response = get(bad);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::InvalidArgument);
  EXPECT_THAT(response.error().message, HasSubstr("certificate authority"));
}

TEST_F(TransportTls, PresentsClientCertificateFromMemory) {
  ClientConfig with_cert = config();
  with_cert.client_cert_pem = pki_.leaf.cert_pem;
  with_cert.client_key_pem = pki_.leaf.key_pem;
  auto response = get(with_cert);
  ASSERT_TRUE(response) << response.error().message;

  ClientConfig mismatched = config();
  mismatched.client_cert_pem = pki_.leaf.cert_pem;
  mismatched.client_key_pem = pki_.ca.key_pem;
  auto refused = get(mismatched);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("client key"));
}

}  // namespace
}  // namespace univirt::kube
