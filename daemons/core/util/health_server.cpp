#include "core/util/health_server.h"

#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <prometheus/text_serializer.h>

#include "core/util/process_metrics.h"

namespace univirt::util {
namespace {

// Enough for the kubelet's probes and one Prometheus scrape at a time.
constexpr int kMaxThreads = 4;
constexpr int kMaxQueued = 16;
constexpr int kTimeoutSeconds = 5;
constexpr int kBacklog = 64;

using Poco::Net::HTTPResponse;

struct Response {
  HTTPResponse::HTTPStatus status;
  std::string content_type;
  std::string body;
};

struct NamedCheck {
  std::string name;
  HealthServer::Check check;
};

}  // namespace

struct HealthServer::Impl {
  Impl(HealthServerOptions options_in, prometheus::Registry& registry_in)
      : options(std::move(options_in)), registry(registry_in), process(options.daemon) {}

  Response respond(const std::string& method, const std::string& path) const;
  Response probe(const std::vector<NamedCheck>& checks, std::string_view failing) const;

  const HealthServerOptions options;
  prometheus::Registry& registry;
  ProcessMetrics process;
  mutable std::mutex mu;
  std::vector<NamedCheck> liveness;   // guarded by mu
  std::vector<NamedCheck> readiness;  // guarded by mu
  Poco::ThreadPool pool{1, kMaxThreads};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::uint16_t port = 0;
};

namespace {

Response text(HTTPResponse::HTTPStatus status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", std::move(body)};
}

bool passes(const HealthServer::Check& check) {
  try {
    return check();
  } catch (const std::exception&) {
    return false;  // a check that throws is a failing check, not a failing server
  }
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const HealthServer::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    Response answer = text(HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
    try {
      answer = impl_.respond(request.getMethod(), Poco::URI(request.getURI()).getPath());
    } catch (const Poco::Exception& e) {
      answer = text(HTTPResponse::HTTP_BAD_REQUEST, e.displayText() + "\n");
    } catch (const std::exception& e) {
      answer.body = std::string(e.what()) + "\n";
    }
    response.setStatus(answer.status);
    response.setContentType(answer.content_type);
    if (answer.status == HTTPResponse::HTTP_METHOD_NOT_ALLOWED) {
      response.set("Allow", "GET, HEAD");
    }
    response.sendBuffer(answer.body.data(), answer.body.size());
  }

 private:
  const HealthServer::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const HealthServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);  // Poco owns and deletes it
  }

 private:
  const HealthServer::Impl& impl_;
};

}  // namespace

Response HealthServer::Impl::probe(const std::vector<NamedCheck>& checks,
                                   std::string_view failing) const {
  std::string names;
  for (const NamedCheck& check : checks) {
    if (!passes(check.check)) {
      names += names.empty() ? "" : ", ";
      names += check.name;
    }
  }
  if (names.empty()) {
    return text(HTTPResponse::HTTP_OK, "ok\n");
  }
  return text(HTTPResponse::HTTP_SERVICE_UNAVAILABLE, fmt::format("{}: {}\n", failing, names));
}

Response HealthServer::Impl::respond(const std::string& method, const std::string& path) const {
  if (method != "GET" && method != "HEAD") {
    return text(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
  }
  if (path == "/healthz" || path == "/readyz") {
    std::vector<NamedCheck> checks;
    {
      std::lock_guard lock(mu);  // copied so no lock is held while checks run
      checks = path == "/healthz" ? liveness : readiness;
    }
    return probe(checks, path == "/healthz" ? "not alive" : "not ready");
  }
  if (path == "/metrics") {
    auto families = registry.Collect();
    auto own = process.Collect();
    families.insert(families.end(), own.begin(), own.end());
    return Response{HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                    prometheus::TextSerializer().Serialize(families)};
  }
  return text(HTTPResponse::HTTP_NOT_FOUND, "not found\n");
}

Result<std::unique_ptr<HealthServer>> HealthServer::start(HealthServerOptions options,
                                                          prometheus::Registry& registry) {
  auto impl = std::make_unique<Impl>(std::move(options), registry);
  try {
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT (Poco's default): with it a second
    // copy of the daemon would bind the same port and share the probes.
    socket.bind(Poco::Net::SocketAddress(impl->options.address), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(kBacklog);
    impl->port = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kMaxThreads);
    params->setMaxQueued(kMaxQueued);
    params->setTimeout(Poco::Timespan(kTimeoutSeconds, 0));
    impl->server =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), impl->pool, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot serve health checks on '{}': {}",
                                                     impl->options.address, e.displayText())};
  }
  return std::unique_ptr<HealthServer>(new HealthServer(std::move(impl)));
}

HealthServer::HealthServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HealthServer::~HealthServer() {
  impl_->server->stopAll(true);
  impl_->server.reset();
  impl_->pool.joinAll();
}

std::uint16_t HealthServer::port() const { return impl_->port; }

void HealthServer::addLivenessCheck(std::string name, Check check) {
  std::lock_guard lock(impl_->mu);
  impl_->liveness.push_back({std::move(name), std::move(check)});
}

void HealthServer::addReadinessCheck(std::string name, Check check) {
  std::lock_guard lock(impl_->mu);
  impl_->readiness.push_back({std::move(name), std::move(check)});
}

}  // namespace univirt::util
