#include "core/util/health_server.h"

#include <atomic>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "core/version.h"
#include "test_support.h"

namespace univirt::util {
namespace {

using testing::httpRequest;

std::unique_ptr<HealthServer> startServer(prometheus::Registry& registry) {
  auto server = HealthServer::start({.address = "127.0.0.1:0", .daemon = "virtctl"}, registry);
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

TEST(HealthServer, ServesHealthzOnAChosenPort) {
  prometheus::Registry registry;
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  auto reply = httpRequest(server->port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
}

TEST(HealthServer, ReadyzNamesTheFailingChecks) {
  prometheus::Registry registry;
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(httpRequest(server->port(), "/readyz").status, 200);  // nothing to wait for

  std::atomic<bool> synced{false};
  std::atomic<bool> connected{false};
  server->addReadinessCheck("caches-synced", [&] { return synced.load(); });
  server->addReadinessCheck("always", [] { return true; });
  server->addReadinessCheck("libvirt", [&] { return connected.load(); });
  auto reply = httpRequest(server->port(), "/readyz?verbose");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "not ready: caches-synced, libvirt\n");

  synced = true;
  EXPECT_EQ(httpRequest(server->port(), "/readyz").body, "not ready: libvirt\n");
  connected = true;
  reply = httpRequest(server->port(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  EXPECT_EQ(httpRequest(server->port(), "/healthz").status, 200);  // readiness is not liveness
}

TEST(HealthServer, HealthzFailsWhileALivenessCheckFails) {
  prometheus::Registry registry;
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  std::atomic<bool> loop_alive{false};
  server->addLivenessCheck("event-loop", [&] { return loop_alive.load(); });
  server->addLivenessCheck("throws", []() -> bool { throw std::runtime_error("boom"); });
  auto reply = httpRequest(server->port(), "/healthz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "not alive: event-loop, throws\n");
  EXPECT_EQ(httpRequest(server->port(), "/readyz").status, 200);
}

TEST(HealthServer, MetricsServesTheRegistryAndProcessMetrics) {
  prometheus::Registry registry;
  auto& requests = prometheus::BuildCounter()
                       .Name("univirt_virtctl_requests_total")
                       .Help("Requests handled.")
                       .Register(registry)
                       .Add({{"outcome", "done"}});
  requests.Increment(3);
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  auto reply = httpRequest(server->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = reply.body;
  EXPECT_NE(text.find("# TYPE univirt_virtctl_requests_total counter\n"
                      "univirt_virtctl_requests_total{outcome=\"done\"} 3\n"),
            std::string::npos)
      << text;
  for (const char* name :
       {"\nprocess_resident_memory_bytes ", "\nprocess_cpu_seconds_total ", "\nprocess_open_fds ",
        "\nprocess_start_time_seconds ", "\nprocess_max_fds ", "\nprocess_virtual_memory_bytes ",
        "# TYPE process_cpu_seconds_total counter\n"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from\n" << text;
  }
  std::string build_info = std::string("univirt_build_info{commit=\"") + kGitCommit +
                           "\",daemon=\"virtctl\",version=\"" + kVersion + "\"} 1\n";
  EXPECT_NE(text.find(build_info), std::string::npos) << text;
}

TEST(HealthServer, UnknownPathsAndMethodsAreRefused) {
  prometheus::Registry registry;
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  auto missing = httpRequest(server->port(), "/");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "not found\n");
  auto post = httpRequest(server->port(), "/healthz", "POST");
  EXPECT_EQ(post.status, 405);
  auto head = httpRequest(server->port(), "/healthz", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(HealthServer, BusyPortIsUnavailable) {
  prometheus::Registry registry;
  auto first = startServer(registry);
  ASSERT_NE(first, nullptr);
  std::string address = "127.0.0.1:" + std::to_string(first->port());
  auto second = HealthServer::start({.address = address, .daemon = "virtctl"}, registry);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(
      second.error().message.starts_with("cannot serve health checks on '" + address + "': "))
      << second.error().message;
}

TEST(HealthServer, StopsServingWhenDestroyed) {
  prometheus::Registry registry;
  auto server = startServer(registry);
  ASSERT_NE(server, nullptr);
  std::uint16_t port = server->port();
  EXPECT_EQ(httpRequest(port, "/healthz").status, 200);
  server.reset();
  EXPECT_ANY_THROW(httpRequest(port, "/healthz"));  // connection refused
}

}  // namespace
}  // namespace univirt::util
