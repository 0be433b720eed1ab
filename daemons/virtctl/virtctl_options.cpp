#include "virtctl/virtctl_options.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <unistd.h>

namespace univirt::virtctl {
namespace {

const util::ConfigOption kOptions[] = {
    {.name = "libvirt-uri",
     .env = "UNIVIRT_LIBVIRT_URI",
     .flag = "--libvirt-uri",
     .default_value = "qemu:///system",
     .help = "libvirt connection the operations run on"},
    {.name = "path-roots",
     .env = "UNIVIRT_PATH_ROOTS",
     .flag = "--path-roots",
     .default_value = "/var/lib/libvirt,/var/lib/univirt,/mnt",
     .help = "comma-separated directories that file paths in requests must lie under"},
    {.name = "workers",
     .env = "UNIVIRT_WORKERS",
     .flag = "--workers",
     .type = util::OptionType::Int,
     .default_value = "4",
     .help = "requests run in parallel on this many threads (one at a time per object)",
     .min = 1,
     .max = 64},
    {.name = "allow-qemu-fallback",
     .env = "UNIVIRT_ALLOW_QEMU_FALLBACK",
     .flag = "--allow-qemu-fallback",
     .type = util::OptionType::Bool,
     .default_value = "false",
     .help = "define a requested kvm domain as qemu (emulated) on a node without /dev/kvm"},
    {.name = "device-dir",
     .env = "UNIVIRT_DEVICE_DIR",
     .flag = "--device-dir",
     .default_value = "/var/lib/libvirt/devices",
     .help = "where hot-plugged device XML is kept, as upstream"},
    {.name = "migration-uri",
     .env = "UNIVIRT_MIGRATION_URI",
     .flag = "--migration-uri",
     .default_value = "qemu+ssh://{}/system",
     .help = "libvirt URI of the node a migrateVM request names; {} is replaced by its ip "
             "(e.g. qemu+tls://{}/system)"},
    {.name = "migration-data-uri",
     .env = "UNIVIRT_MIGRATION_DATA_URI",
     .flag = "--migration-data-uri",
     .default_value = "tcp://{}",
     .help = "where a live migration's memory stream goes; {} is replaced by the target ip"},
    {.name = "ceph-conf",
     .env = "UNIVIRT_CEPH_CONF",
     .flag = "--ceph-conf",
     .default_value = "/etc/ceph/ceph.conf",
     .help = "ceph.conf of the cluster that holds the cephrbd pools"},
    {.name = "lock-file",
     .env = "UNIVIRT_LOCK_FILE",
     .flag = "--lock-file",
     .default_value = "/run/univirt/virtctl.lock",
     .help = "lock that keeps a second virtctl off this node; empty: no lock"},
    {.name = "resync-period",
     .env = "UNIVIRT_RESYNC_PERIOD",
     .flag = "--resync-period",
     .type = util::OptionType::Duration,
     .default_value = "30s",
     .help = "how often every watched object is looked at again (retries failed takes)"},
    {.name = "debug-pause-after-take",
     .env = "UNIVIRT_DEBUG_PAUSE_AFTER_TAKE",
     .flag = "--debug-pause-after-take",
     .type = util::OptionType::Duration,
     .default_value = "0",
     .help = "crash tests only: wait this long between taking a request and running it"},
    {.name = "debug-pause-before-outcome",
     .env = "UNIVIRT_DEBUG_PAUSE_BEFORE_OUTCOME",
     .flag = "--debug-pause-before-outcome",
     .type = util::OptionType::Duration,
     .default_value = "0",
     .help = "crash tests only: wait this long between running a request and writing its outcome"},
};

}  // namespace

std::span<const util::ConfigOption> virtctlOptions() { return kOptions; }

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

util::Result<std::vector<std::string>> parsePathRoots(const std::string& text) {
  std::vector<std::string> roots;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string root = text.substr(start, comma - start);
    while (root.size() > 1 && root.back() == '/') {
      root.pop_back();
    }
    if (!root.empty()) {
      if (root.front() != '/' || root.find("/..") != std::string::npos) {
        return util::Error{util::ErrorCode::InvalidArgument,
                           fmt::format("path-roots: '{}' is not an absolute directory", root)};
      }
      roots.push_back(std::move(root));
    }
    start = comma + 1;
  }
  return roots;
}

util::Result<std::string> parseMigrationUri(const std::string& option, const std::string& text) {
  const std::size_t first = text.find("{}");
  if (first == std::string::npos || text.find("{}", first + 2) != std::string::npos) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{}: '{}' must hold '{{}}' exactly once, where the target "
                                   "node's ip goes (e.g. qemu+tcp://{{}}/system)",
                                   option, text)};
  }
  return text;
}

}  // namespace univirt::virtctl
