#pragma once

// Exporter: refreshes the metrics on a timer and keeps the rendered text for the scrapes.
//
// A refresh takes the current libvirt connection, makes the one bulk stats call (and the
// storage pool calls), reads the VirtualMachine owners from the informer's cache, renders the
// configured families and swaps the cached text. Scrapes never touch libvirt: they get the
// cached text plus a few lines about the exporter itself (rendered per scrape, so `up` turns 0
// when refreshes stop succeeding, even if a refresh hangs):
//
//   univirt_virtmonitor_up                          1 when the last refresh succeeded and is
//                                                   younger than three intervals
//   univirt_virtmonitor_scrape_duration_seconds     how long the last refresh's libvirt calls took
//   univirt_virtmonitor_scrape_errors_total         refreshes that failed
//   univirt_virtmonitor_refreshes_total             refreshes attempted
//   univirt_virtmonitor_last_refresh_timestamp_seconds  wall time of the last success
//   univirt_virtmonitor_domains                     domains in the last successful refresh
//   univirt_virtmonitor_domains_stats_timed_out     of those, domains marked timed out
//
// Thread-safety: refresh() runs on the timer thread (or a test's), scrapes on the server's
// threads; the cached state is guarded by one mutex that is never held across a libvirt call.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/util/clock.h"
#include "core/util/result.h"
#include "core/virt/connection.h"
#include "virtmonitor/domain_stats.h"
#include "virtmonitor/families.h"
#include "virtmonitor/nic_macs.h"

namespace univirt::virtmonitor {

struct ExporterOptions {
  std::string node = {};
  std::string zone = {};
  std::vector<Family> families = {Family::Univirt};
  std::chrono::milliseconds interval{10'000};
};

// The libvirt connection for one refresh (ReconnectingConnection::connection in the daemon).
using ConnectionSource = std::function<util::Result<std::shared_ptr<virt::Connection>>()>;
// Domain name → owning VirtualMachine, from the informer cache; empty without a cluster.
using OwnersSource = std::function<Owners()>;

// What the last refresh cost, for logs and the bench.
struct RefreshCost {
  std::chrono::nanoseconds collect{0};  // the libvirt calls
  std::chrono::nanoseconds render{0};   // families → text
  std::size_t bytes = 0;                // size of the rendered text
  std::size_t domains = 0;
};

class Exporter {
 public:
  // `clock` must outlive the exporter.
  Exporter(ExporterOptions options, ConnectionSource connection, OwnersSource owners,
           util::Clock& clock = util::Clock::real());
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Starts the timer thread: a refresh at once, then one every interval.
  util::Status start();
  void stop();

  // One refresh on the caller's thread; the error is also counted and logged. One refresh at a
  // time: called by the timer thread, or by a caller that did not start() it.
  util::Status refresh();

  // The families of the last successful refresh (empty before the first).
  std::shared_ptr<const std::string> familiesText() const;
  // The exporter's own series, as of now.
  std::string healthText() const;
  // familiesText() followed by healthText(): what a scrape gets.
  std::string body() const;

  std::uint64_t refreshes() const;
  bool hasRefreshed() const;  // at least one refresh succeeded
  RefreshCost lastCost() const;

 private:
  void run(const std::stop_token& stop);

  const ExporterOptions options_;
  const ConnectionSource connection_;
  const OwnersSource owners_;
  util::Clock& clock_;

  mutable std::mutex mu_;
  std::shared_ptr<const std::string> text_;             // guarded by mu_
  std::optional<Snapshot> previous_;                    // guarded by mu_
  std::map<std::string, std::string> pool_types_;       // guarded by mu_
  std::uint64_t refreshes_ = 0;                         // guarded by mu_
  std::uint64_t errors_ = 0;                            // guarded by mu_
  bool last_ok_ = false;                                // guarded by mu_
  std::optional<util::Clock::TimePoint> last_success_;  // guarded by mu_
  util::Clock::WallTime last_success_wall_{};           // guarded by mu_
  RefreshCost cost_;                                    // guarded by mu_
  std::size_t timed_out_ = 0;                           // guarded by mu_
  NicMacs nic_macs_;  // refresh() only (one refresh at a time): the upstream family's MACs

  std::jthread thread_;
};

}  // namespace univirt::virtmonitor
