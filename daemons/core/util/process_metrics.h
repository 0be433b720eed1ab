#pragma once

// The standard Prometheus process metrics plus univirt's build info, read from /proc when
// /metrics is scraped (names as the Prometheus client libraries use them):
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds,
//   univirt_build_info{daemon="virtctl",version="1.0.3",commit="0123abcd"} 1

#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "core/util/result.h"

namespace univirt::util {

struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// This process's figures; Unavailable when /proc cannot be read.
Result<ProcessStats> readProcessStats();

class ProcessMetrics final : public prometheus::Collectable {
 public:
  explicit ProcessMetrics(std::string daemon) : daemon_(std::move(daemon)) {}

  // The process families are left out when /proc cannot be read; build info is always there.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string daemon_;
};

}  // namespace univirt::util
