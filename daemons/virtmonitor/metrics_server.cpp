#include "virtmonitor/metrics_server.h"

#include <algorithm>
#include <exception>
#include <utility>

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

namespace univirt::virtmonitor {
namespace {

// A few Prometheus servers (HA pairs) and an operator's curl at a time.
constexpr int kMaxThreads = 4;
constexpr int kMaxQueued = 32;
constexpr int kTimeoutSeconds = 10;
constexpr int kBacklog = 64;

using Poco::Net::HTTPResponse;

}  // namespace

struct MetricsServer::Impl {
  Impl(MetricsServerOptions options_in, const Exporter& exporter_in)
      : options(std::move(options_in)), exporter(exporter_in) {}

  const MetricsServerOptions options;
  const Exporter& exporter;
  Poco::ThreadPool pool{1, kMaxThreads};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::uint16_t port = 0;
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const MetricsServer::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    auto reply = [&response](HTTPResponse::HTTPStatus status, const std::string& body) {
      response.setStatus(status);
      response.setContentType(status == HTTPResponse::HTTP_OK
                                  ? "text/plain; version=0.0.4; charset=utf-8"
                                  : "text/plain; charset=utf-8");
      response.sendBuffer(body.data(), body.size());
    };
    try {
      const std::string& method = request.getMethod();
      if (method != "GET" && method != "HEAD") {
        response.set("Allow", "GET, HEAD");
        reply(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        return;
      }
      const std::string path = Poco::URI(request.getURI()).getPath();
      const auto& paths = impl_.options.paths;
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
        reply(HTTPResponse::HTTP_NOT_FOUND,
              fmt::format("not found; metrics are served on {}\n", fmt::join(paths, ", ")));
        return;
      }
      reply(HTTPResponse::HTTP_OK, impl_.exporter.body());
    } catch (const Poco::Exception& e) {
      reply(HTTPResponse::HTTP_BAD_REQUEST, e.displayText() + "\n");
    } catch (const std::exception& e) {
      reply(HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, std::string(e.what()) + "\n");
    }
  }

 private:
  const MetricsServer::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const MetricsServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);  // Poco owns and deletes it
  }

 private:
  const MetricsServer::Impl& impl_;
};

}  // namespace

util::Result<std::unique_ptr<MetricsServer>> MetricsServer::start(MetricsServerOptions options,
                                                                  const Exporter& exporter) {
  auto impl = std::make_unique<Impl>(std::move(options), exporter);
  try {
    Poco::Net::ServerSocket socket;
    // No SO_REUSEPORT: a second virtmonitor must fail to bind rather than share the port.
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
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("cannot serve metrics on '{}': {}; choose another "
                                   "metrics-address or stop what listens there",
                                   impl->options.address, e.displayText())};
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->server->stopAll(true);
  impl_->server.reset();
  impl_->pool.joinAll();
}

std::uint16_t MetricsServer::port() const { return impl_->port; }

util::Result<std::vector<std::string>> parsePaths(const std::string& text) {
  std::vector<std::string> paths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string path = text.substr(start, comma - start);
    start = comma + 1;
    if (path.empty()) {
      continue;
    }
    if (path.front() != '/') {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("metrics-paths: '{}' does not start with '/'", path)};
    }
    paths.push_back(std::move(path));
  }
  if (paths.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       "metrics-paths: no path given (upstream serves '/,/metrics')"};
  }
  return paths;
}

}  // namespace univirt::virtmonitor
