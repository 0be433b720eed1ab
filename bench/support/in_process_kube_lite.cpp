#include "support/in_process_kube_lite.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <stdlib.h>  // mkdtemp

#include "core/util/clock.h"
#include "core/util/error.h"

namespace univirt::bench {

namespace kl = kubelite;

util::Result<std::unique_ptr<InProcessKubeLite>> InProcessKubeLite::start(
    const std::string& name, std::size_t watch_history) {
  std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("cannot create a temp dir like '{}'", pattern)};
  }
  std::unique_ptr<InProcessKubeLite> server(new InProcessKubeLite());
  server->dir_ = pattern;

  auto certs = kl::ensureCertificates(server->dir_, {"127.0.0.1"});
  auto auth = kl::TokenAuthenticator::load(server->dir_ + "/tokens.csv");
  if (!certs || !auth) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("cannot prepare certificates or tokens in {}", server->dir_)};
  }
  server->certs_ = *certs;
  server->auth_ = std::make_unique<kl::TokenAuthenticator>(std::move(*auth));
  auto ca = kl::readFile(server->certs_.ca_cert);
  if (!ca) {
    return ca.error();
  }
  server->ca_pem_ = std::move(*ca);

  server->hub_ = std::make_unique<kl::WatchHub>(watch_history);
  auto store = kl::Store::open(server->dir_ + "/kube-lite.db", *server->hub_);
  if (!store) {
    return store.error();
  }
  server->store_ = std::move(*store);
  server->registry_ = std::make_unique<kl::ResourceRegistry>();
  server->faults_ = std::make_unique<kl::FaultInjector>(false, *server->hub_);
  server->api_ = std::make_unique<kl::ApiServer>(*server->store_, *server->hub_, *server->registry_,
                                                 *server->faults_, util::Clock::real(),
                                                 kl::ApiServerOptions{});
  (void)server->api_->bootstrap();
  server->server_ = std::make_unique<kl::Server>(
      kl::ServerOptions{{"127.0.0.1"}, 0, false, server->certs_, 3 * 1024 * 1024, 512},
      *server->api_, *server->auth_, nullptr);
  if (auto started = server->server_->start(); !started) {
    return started.error();
  }
  return server;
}

InProcessKubeLite::~InProcessKubeLite() {
  if (hub_) {
    hub_->shutdown();  // ends open watches, so stopping the server does not wait for them
  }
  if (server_) {
    server_->stop();
  }
  server_.reset();
  api_.reset();
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

util::Result<std::unique_ptr<kube::Client>> InProcessKubeLite::client(
    kube::TransportOptions options) const {
  kube::ClientConfig config;
  config.server = fmt::format("https://127.0.0.1:{}", server_->port());
  config.ca_pem = ca_pem_;
  config.token = kube::TokenSource::fixed(auth_->firstToken());
  options.qps = 1e6;
  options.burst = 1'000'000;
  return kube::Client::create(config, options);
}

}  // namespace univirt::bench
