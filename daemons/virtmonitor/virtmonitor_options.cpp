#include "virtmonitor/virtmonitor_options.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <unistd.h>

namespace univirt::virtmonitor {
namespace {

const util::ConfigOption kOptions[] = {
    {.name = "libvirt-uri",
     .env = "UNIVIRT_LIBVIRT_URI",
     .flag = "--libvirt-uri",
     .default_value = "qemu:///system",
     .help = "libvirt connection the statistics are read from"},
    {.name = "libvirt-read-only",
     .env = "UNIVIRT_LIBVIRT_READ_ONLY",
     .flag = "--libvirt-read-only",
     .type = util::OptionType::Bool,
     .default_value = "true",
     .help = "open libvirt through its read-only socket (least privilege); statistics need "
             "no more"},
    {.name = "metrics-address",
     .env = "UNIVIRT_METRICS_ADDRESS",
     .flag = "--metrics-address",
     .type = util::OptionType::Address,
     .default_value = "0.0.0.0:19998",
     .help = "where Prometheus scrapes the metrics (upstream: port 19998 on every address)"},
    {.name = "metrics-paths",
     .env = "UNIVIRT_METRICS_PATHS",
     .flag = "--metrics-paths",
     .default_value = "/,/metrics",
     .help = "comma-separated HTTP paths that serve the metrics"},
    {.name = "refresh-interval",
     .env = "UNIVIRT_REFRESH_INTERVAL",
     .flag = "--refresh-interval",
     .type = util::OptionType::Duration,
     .default_value = "10s",
     .help = "how often the statistics are read from libvirt; scrapes get the last refresh"},
    {.name = "metric-families",
     .env = "UNIVIRT_METRIC_FAMILIES",
     .flag = "--metric-families",
     .default_value = "univirt",
     .help = "comma-separated name families to emit: univirt (univirt_*), upstream (vm_*, "
             "storage_pool_*), kubevirt (kubevirt_vmi_*)"},
    {.name = "zone",
     .env = "UNIVIRT_ZONE",
     .flag = "--zone",
     .help = "the upstream family's zone label; empty: the zone label of this node's Node object, "
             "read once at startup"},
    {.name = "lock-file",
     .env = "UNIVIRT_LOCK_FILE",
     .flag = "--lock-file",
     .default_value = "/run/univirt/virtmonitor.lock",
     .help = "lock that keeps a second virtmonitor off this node; empty: no lock"},
};

}  // namespace

std::span<const util::ConfigOption> virtmonitorOptions() { return kOptions; }

std::string resolveNodeName(const util::Config& config, const util::Environment& env) {
  std::string name = config.getString("node-name");
  if (name.empty()) {
    if (auto it = env.find("NODE_NAME"); it != env.end()) {
      name = it->second;
    }
  }
  if (name.empty()) {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0) {
      name = host.data();
    }
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace univirt::virtmonitor
