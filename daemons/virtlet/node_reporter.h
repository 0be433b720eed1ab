#pragma once

// NodeReporter: upstream's host_reporter (crd-contract.md §5.1) without its write loop.
//
// libvirt is sampled locally every sample period (and at once after poke(), e.g. when the
// libvirt connection changes state); its liveness comes from the connection's keep-alive, so
// checking it costs the API server nothing. The Node's status is written only
//   * when the report changed (reportChanged), at most once per debounce interval, or
//   * as a heartbeat when nothing changed for the heartbeat period (default 1 minute).
// At 1,000 nodes that is ~17 writes/s of heartbeats instead of upstream's 125 with an 8 s loop.
//
// removeHaLabel() runs once at start: upstream's `kubectl label node <host> nodeHA-`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "core/kube/client.h"
#include "core/util/clock.h"
#include "core/virt/connection.h"
#include "virtlet/host_report.h"

namespace univirt::virtlet {

using ConnectionSource = std::function<util::Result<std::shared_ptr<virt::Connection>>()>;

struct NodeReporterOptions {
  std::string node_name = {};
  std::int64_t vm_capacity = 40;
  std::chrono::milliseconds heartbeat{60'000};
  std::chrono::milliseconds debounce{5'000};
  std::chrono::milliseconds sample{2'000};
  std::int64_t memory_step_mib = 256;
};

class NodeReporter {
 public:
  NodeReporter(kube::Client& client, ConnectionSource connect, NodeReporterOptions options,
               util::Clock& clock);
  ~NodeReporter();
  NodeReporter(const NodeReporter&) = delete;
  NodeReporter& operator=(const NodeReporter&) = delete;

  // Removes label nodeHA from this node's Node (a merge patch; nothing to do is fine).
  util::Status removeHaLabel(std::stop_token stop = {});

  void start();
  void stop();
  // Samples libvirt now instead of at the next period.
  void poke();

  // Status writes that reached the API server.
  std::size_t writes() const;
  // Samples taken (each is one round of local libvirt calls).
  std::size_t samples() const;

 private:
  void run(const std::stop_token& stop);
  NodeReport takeSample();
  util::Status write(const NodeReport& report, const std::stop_token& stop);

  kube::Client& client_;
  ConnectionSource connect_;
  const NodeReporterOptions options_;
  util::Clock& clock_;
  HostSample last_sample_;  // run() thread only
  mutable std::mutex mu_;
  std::stop_source wake_;    // guarded by mu_
  bool poked_ = false;       // guarded by mu_
  std::size_t writes_ = 0;   // guarded by mu_
  std::size_t samples_ = 0;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace univirt::virtlet
