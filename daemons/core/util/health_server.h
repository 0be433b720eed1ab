#pragma once

// One small HTTP server per daemon (Poco) for the kubelet, systemd helpers and Prometheus:
//   GET /healthz  200 "ok" while every liveness check passes (the process loop is alive),
//                 else 503 "not alive: <names>"
//   GET /readyz   200 "ok" when every readiness check passes (caches synced, backend
//                 connected), else 503 "not ready: <names of the failing checks>"
//   GET /metrics  the registry and ProcessMetrics in the Prometheus text format
//   anything else 404; methods other than GET and HEAD 405.
// With no checks registered, both probes pass. Checks run on the server's threads while a
// request is answered, so they must be thread-safe and quick (read an atomic, not the network).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <prometheus/registry.h>

#include "core/util/result.h"

namespace univirt::util {

struct HealthServerOptions {
  std::string address;  // host:port, e.g. 127.0.0.1:19990; port 0 picks a free port
  std::string daemon;   // the daemon label of univirt_build_info
};

class HealthServer {
 public:
  using Check = std::function<bool()>;

  // Listens and serves until destroyed. `registry` must outlive the server.
  // Unavailable when the address cannot be resolved or bound.
  static Result<std::unique_ptr<HealthServer>> start(HealthServerOptions options,
                                                     prometheus::Registry& registry);
  // Stops listening, aborts open connections and joins the server threads.
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // The bound port (the chosen one when the address asked for port 0).
  std::uint16_t port() const;
  void addLivenessCheck(std::string name, Check check);
  void addReadinessCheck(std::string name, Check check);

  struct Impl;

 private:
  explicit HealthServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace univirt::util
