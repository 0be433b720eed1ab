#pragma once

// The HTTP endpoint Prometheus scrapes: GET (or HEAD) on one of the configured paths (upstream:
// `/` and `/metrics`) answers 200 with Exporter::body() in the text format 0.0.4; other paths
// 404, other methods 405. It never calls libvirt: a scrape costs a copy of the cached text.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "virtmonitor/exporter.h"

namespace univirt::virtmonitor {

struct MetricsServerOptions {
  std::string address;             // host:port; port 0 picks a free one
  std::vector<std::string> paths;  // e.g. {"/", "/metrics"}
};

class MetricsServer {
 public:
  // Listens at once; `exporter` must outlive the server. Unavailable when the address cannot
  // be bound.
  static util::Result<std::unique_ptr<MetricsServer>> start(MetricsServerOptions options,
                                                            const Exporter& exporter);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const;

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "/,/metrics" → {"/", "/metrics"}; every path must start with '/'.
util::Result<std::vector<std::string>> parsePaths(const std::string& text);

}  // namespace univirt::virtmonitor
