#include "virtlet/node_reporter.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "core/util/log.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

// upstream retried the status replace 4 times; a conflict only means the kubelet wrote too.
constexpr int kWriteAttempts = 4;

}  // namespace

NodeReporter::NodeReporter(kube::Client& client, ConnectionSource connect,
                           NodeReporterOptions options, util::Clock& clock)
    : client_(client), connect_(std::move(connect)), options_(std::move(options)), clock_(clock) {}

NodeReporter::~NodeReporter() { stop(); }

util::Status NodeReporter::removeHaLabel(std::stop_token stop) {
  const nlohmann::json patch = {{"metadata", {{"labels", {{"nodeHA", nullptr}}}}}};
  auto patched = client_.patch(kNodes, kube::ObjectKey{"", options_.node_name},
                               kube::PatchType::Merge, patch, std::move(stop));
  if (!patched) {
    return patched.error().withContext(
        fmt::format("removing label 'nodeHA' from Node '{}'", options_.node_name));
  }
  return {};
}

void NodeReporter::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void NodeReporter::stop() {
  if (!thread_.joinable()) {
    return;
  }
  thread_.request_stop();
  {
    std::lock_guard lock(mu_);
    wake_.request_stop();
  }
  thread_.join();
}

void NodeReporter::poke() {
  std::lock_guard lock(mu_);
  poked_ = true;
  wake_.request_stop();
}

std::size_t NodeReporter::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

std::size_t NodeReporter::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

NodeReport NodeReporter::takeSample() {
  std::string libvirt_error;
  auto connection = connect_();
  if (!connection) {
    libvirt_error = connection.error().message;
  } else {
    auto sample = sampleHost(**connection);
    if (sample) {
      last_sample_ = *sample;
    } else {
      libvirt_error = sample.error().message;
    }
  }
  {
    std::lock_guard lock(mu_);
    ++samples_;
  }
  return makeReport(last_sample_, options_.vm_capacity, libvirt_error);
}

util::Status NodeReporter::write(const NodeReport& report, const std::stop_token& stop) {
  const kube::ObjectKey key{"", options_.node_name};
  for (int attempt = 1;; ++attempt) {
    auto node = client_.get(kNodes, key, stop);
    if (!node) {
      return node.error().withContext(fmt::format("reading Node '{}'", options_.node_name));
    }
    (*node)["status"] =
        applyReport(node->value("status", nlohmann::json::object()), report, clock_.wallNow());
    auto updated = client_.updateStatus(kNodes, *node, stop);
    if (updated) {
      std::lock_guard lock(mu_);
      ++writes_;
      return {};
    }
    if (updated.error().code != util::ErrorCode::Conflict || attempt == kWriteAttempts) {
      return updated.error().withContext(
          fmt::format("writing the status of Node '{}'", options_.node_name));
    }
  }
}

void NodeReporter::run(const std::stop_token& stop) {
  std::optional<NodeReport> written;
  util::Clock::TimePoint last_write{};
  util::Clock::TimePoint next_sample = clock_.now();
  util::Clock::TimePoint retry_not_before{};  // after a failed write: wait one sample period
  std::string last_failure;
  while (!stop.stop_requested()) {
    const auto now = clock_.now();
    bool poked = false;
    {
      std::lock_guard lock(mu_);
      poked = std::exchange(poked_, false);
    }
    const bool heartbeat_time =
        written && now >= std::max(last_write + options_.heartbeat, retry_not_before);
    if (poked || now >= next_sample || heartbeat_time) {
      next_sample = now + options_.sample;
      const NodeReport report = takeSample();
      const bool changed = !written || reportChanged(*written, report, options_.memory_step_mib);
      const bool may_write = !written || now >= last_write + options_.debounce;
      if ((changed && may_write) || heartbeat_time) {
        if (auto status = write(report, stop); status) {
          written = report;
          last_write = now;
          last_failure.clear();
        } else {
          retry_not_before = now + options_.sample;
          if (status.error().message == last_failure) {
            continue;
          }
          // Logged once per distinct failure; retried at the next sample.
          last_failure = status.error().message;
          log::warn("node status not written",
                    {{"node", options_.node_name}, {"error", status.error().message}});
        }
      } else if (changed) {
        // A change inside the debounce interval: sample again when it may be written.
        next_sample = std::min(next_sample, last_write + options_.debounce);
      }
    }
    auto deadline = next_sample;
    if (written) {
      deadline = std::min(deadline, std::max(last_write + options_.heartbeat, retry_not_before));
    }
    std::stop_token wake;
    {
      std::lock_guard lock(mu_);
      if (poked_) {
        continue;
      }
      wake_ = std::stop_source();
      wake = wake_.get_token();
    }
    if (stop.stop_requested()) {
      return;
    }
    clock_.sleepUntil(deadline, wake);
  }
}

}  // namespace univirt::virtlet
