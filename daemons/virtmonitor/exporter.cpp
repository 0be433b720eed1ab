#include "virtmonitor/exporter.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/util/log.h"
#include "virtmonitor/exposition.h"

namespace univirt::virtmonitor {
namespace {

// A refresh older than this many intervals means refreshing is stuck: `up` turns 0.
constexpr int kStaleIntervals = 3;
// After a failed refresh (libvirtd not yet connected, restarting), try again this soon rather
// than a whole interval later; the connection's own backoff keeps the attempts cheap.
constexpr std::chrono::milliseconds kRetryAfterFailure{1000};

double seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

Exporter::Exporter(ExporterOptions options, ConnectionSource connection, OwnersSource owners,
                   util::Clock& clock)
    : options_(std::move(options)),
      connection_(std::move(connection)),
      owners_(std::move(owners)),
      clock_(clock) {}

Exporter::~Exporter() { stop(); }

util::Status Exporter::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  return {};
}

void Exporter::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void Exporter::run(const std::stop_token& stop) {
  auto next = clock_.now();
  while (!stop.stop_requested()) {
    const bool ok = refresh().has_value();  // failures are counted and logged inside
    next += ok ? options_.interval : std::min(options_.interval, kRetryAfterFailure);
    // A refresh that overran the interval starts the next one at once, not a burst of them.
    next = std::max(next, clock_.now());
    if (!clock_.sleepUntil(next, stop)) {
      return;
    }
  }
}

util::Status Exporter::refresh() {
  const auto started = clock_.now();
  std::map<std::string, std::string> pool_types;
  {
    std::lock_guard lock(mu_);
    pool_types = pool_types_;
  }
  auto fail = [&](const util::Error& error) -> util::Status {
    bool was_ok = false;
    {
      std::lock_guard lock(mu_);
      ++refreshes_;
      ++errors_;
      was_ok = last_ok_ || refreshes_ == 1;
      last_ok_ = false;
    }
    if (was_ok) {  // once per outage, not once per refresh
      log::warn("metrics refresh failed", {{"err", error.message}});
    }
    return error;
  };
  auto connection = connection_();
  if (!connection.has_value()) {
    return fail(connection.error());
  }
  Snapshot snapshot;
  snapshot.taken = started;
  auto domains = collectDomainStats(**connection);
  if (!domains.has_value()) {
    return fail(domains.error());
  }
  snapshot.domains = std::move(*domains);
  auto pools = collectStoragePools(**connection, pool_types);
  if (!pools.has_value()) {
    return fail(pools.error());
  }
  snapshot.pools = std::move(*pools);
  const bool upstream = std::find(options_.families.begin(), options_.families.end(),
                                  Family::Upstream) != options_.families.end();
  if (upstream) {
    nic_macs_.update(**connection, snapshot.domains);
  }
  const auto collected = clock_.now();

  const Owners owners = owners_ ? owners_() : Owners{};
  std::optional<Snapshot> previous;
  {
    std::lock_guard lock(mu_);
    previous = std::move(previous_);
  }
  const RenderContext context{.node = options_.node,
                              .zone = options_.zone,
                              .current = snapshot,
                              .previous = previous ? &*previous : nullptr,
                              .owners = owners,
                              .nic_macs = upstream ? &nic_macs_.table() : nullptr};
  auto text =
      std::make_shared<const std::string>(renderText(renderFamilies(options_.families, context)));
  const auto rendered = clock_.now();

  std::size_t timed_out = 0;
  for (const DomainStats& domain : snapshot.domains) {
    timed_out += domain.timed_out ? 1 : 0;
  }
  bool recovered = false;
  {
    std::lock_guard lock(mu_);
    ++refreshes_;
    recovered = !last_ok_ && refreshes_ > 1;
    last_ok_ = true;
    last_success_ = rendered;
    last_success_wall_ = clock_.wallNow();
    cost_ = RefreshCost{.collect = collected - started,
                        .render = rendered - collected,
                        .bytes = text->size(),
                        .domains = snapshot.domains.size()};
    timed_out_ = timed_out;
    text_ = std::move(text);
    pool_types_ = std::move(pool_types);
    previous_ = std::move(snapshot);
  }
  if (recovered) {
    log::info("metrics refresh recovered", {});
  }
  return {};
}

std::shared_ptr<const std::string> Exporter::familiesText() const {
  std::lock_guard lock(mu_);
  return text_;
}

std::string Exporter::healthText() const {
  std::lock_guard lock(mu_);
  const bool fresh = last_success_.has_value() &&
                     clock_.now() - *last_success_ <= kStaleIntervals * options_.interval;
  MetricSet metrics;
  metrics.add("univirt_virtmonitor_up", MetricType::Gauge,
              "1 when the last refresh of the domain statistics succeeded and is recent", {},
              last_ok_ && fresh ? 1 : 0);
  metrics.add("univirt_virtmonitor_scrape_duration_seconds", MetricType::Gauge,
              "how long the libvirt calls of the last successful refresh took", {},
              seconds(cost_.collect));
  metrics.add("univirt_virtmonitor_scrape_errors_total", MetricType::Counter,
              "refreshes that failed (libvirt unreachable or a call failed)", {},
              static_cast<double>(errors_));
  metrics.add("univirt_virtmonitor_refreshes_total", MetricType::Counter, "refreshes attempted", {},
              static_cast<double>(refreshes_));
  metrics.add("univirt_virtmonitor_last_refresh_timestamp_seconds", MetricType::Gauge,
              "wall-clock time of the last successful refresh (Unix seconds)", {},
              last_success_.has_value()
                  ? std::chrono::duration<double>(last_success_wall_.time_since_epoch()).count()
                  : 0);
  metrics.add("univirt_virtmonitor_domains", MetricType::Gauge,
              "domains in the last successful refresh", {}, static_cast<double>(cost_.domains));
  metrics.add("univirt_virtmonitor_domains_stats_timed_out", MetricType::Gauge,
              "domains whose job-bound statistics were skipped in the last refresh because "
              "their job lock was held",
              {}, static_cast<double>(timed_out_));
  return renderText(metrics);
}

std::string Exporter::body() const {
  std::string out;
  if (auto text = familiesText(); text) {
    out.reserve(text->size() + 2048);
    out += *text;
  }
  out += healthText();
  return out;
}

std::uint64_t Exporter::refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

bool Exporter::hasRefreshed() const {
  std::lock_guard lock(mu_);
  return last_success_.has_value();
}

RefreshCost Exporter::lastCost() const {
  std::lock_guard lock(mu_);
  return cost_;
}

}  // namespace univirt::virtmonitor
