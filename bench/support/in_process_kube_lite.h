#pragma once

// An in-process kube-lite for the benchmarks: HTTPS on 127.0.0.1:0, token auth, SQLite in a
// fresh temp dir, and a kube::Client for it with the client-side rate limit lifted (20 QPS by
// default, which would make the client, not the thing measured, the bottleneck).
// The server, its watches and the temp dir go away with the object.

#include <cstddef>
#include <memory>
#include <string>

#include "core/kube/client.h"
#include "core/kube/transport.h"
#include "core/util/result.h"
#include "kube-lite/api_server.h"
#include "kube-lite/auth.h"
#include "kube-lite/certs.h"
#include "kube-lite/fault_injection.h"
#include "kube-lite/resource_registry.h"
#include "kube-lite/server.h"
#include "kube-lite/store.h"
#include "kube-lite/watch_hub.h"

namespace univirt::bench {

class InProcessKubeLite {
 public:
  // `name` prefixes the temp dir ("informer-bench"); `watch_history` is how many events the
  // WatchHub keeps for watches resuming from an older resourceVersion.
  static util::Result<std::unique_ptr<InProcessKubeLite>> start(const std::string& name,
                                                                std::size_t watch_history);
  ~InProcessKubeLite();
  InProcessKubeLite(const InProcessKubeLite&) = delete;
  InProcessKubeLite& operator=(const InProcessKubeLite&) = delete;

  int port() const { return server_->port(); }
  const std::string& dir() const { return dir_; }
  const std::string& caCertPath() const { return certs_.ca_cert; }
  const std::string& token() const { return auth_->firstToken(); }
  kubelite::Store& store() { return *store_; }
  kubelite::WatchHub& hub() { return *hub_; }

  // A client of this server; `options` as given except that the rate limit is lifted.
  util::Result<std::unique_ptr<kube::Client>> client(kube::TransportOptions options = {}) const;

 private:
  InProcessKubeLite() = default;

  std::string dir_;
  kubelite::CertificatePaths certs_;
  std::string ca_pem_;
  std::unique_ptr<kubelite::TokenAuthenticator> auth_;
  std::unique_ptr<kubelite::WatchHub> hub_;
  std::unique_ptr<kubelite::Store> store_;
  std::unique_ptr<kubelite::ResourceRegistry> registry_;
  std::unique_ptr<kubelite::FaultInjector> faults_;
  std::unique_ptr<kubelite::ApiServer> api_;
  std::unique_ptr<kubelite::Server> server_;  // last: stopped before what it serves
};

}  // namespace univirt::bench
