#include "virtlet/virtlet_options.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <unistd.h>

namespace univirt::virtlet {
namespace {

const util::ConfigOption kOptions[] = {
    {.name = "libvirt-uri",
     .env = "UNIVIRT_LIBVIRT_URI",
     .flag = "--libvirt-uri",
     .default_value = "qemu:///system",
     .help = "libvirt connection whose host, domains and pools are reported"},
    {.name = "vm-capacity",
     .env = "UNIVIRT_VM_CAPACITY",
     .flag = "--vm-capacity",
     .type = util::OptionType::Int,
     .default_value = "40",
     .help = "how many VMs this node offers (Node capacity doslab.io/vms)",
     .min = 0,
     .max = 100000},
    {.name = "heartbeat-period",
     .env = "UNIVIRT_HEARTBEAT_PERIOD",
     .flag = "--heartbeat-period",
     .type = util::OptionType::Duration,
     .default_value = "1m",
     .help = "the Node status is rewritten this often when nothing changed"},
    {.name = "report-debounce",
     .env = "UNIVIRT_REPORT_DEBOUNCE",
     .flag = "--report-debounce",
     .type = util::OptionType::Duration,
     .default_value = "5s",
     .help = "least time between two Node status writes caused by changes"},
    {.name = "sample-period",
     .env = "UNIVIRT_SAMPLE_PERIOD",
     .flag = "--sample-period",
     .type = util::OptionType::Duration,
     .default_value = "2s",
     .help = "how often host resources are read from libvirt (local calls, no API write)"},
    {.name = "memory-report-step",
     .env = "UNIVIRT_MEMORY_REPORT_STEP",
     .flag = "--memory-report-step",
     .type = util::OptionType::Int,
     .default_value = "256",
     .help = "free memory (MiB) must move by this much before it counts as a change",
     .min = 1,
     .max = 1048576},
    {.name = "qemu-config-dir",
     .env = "UNIVIRT_QEMU_CONFIG_DIR",
     .flag = "--qemu-config-dir",
     .default_value = "/etc/libvirt/qemu",
     .help = "libvirt's persistent domain XML directory, watched with inotify"},
    {.name = "fs-debounce",
     .env = "UNIVIRT_FS_DEBOUNCE",
     .flag = "--fs-debounce",
     .type = util::OptionType::Duration,
     .default_value = "4s",
     .help = "file events on one path within this window are handled at most twice"},
    {.name = "pool-lease-duration",
     .env = "UNIVIRT_POOL_LEASE_DURATION",
     .flag = "--pool-lease-duration",
     .type = util::OptionType::Duration,
     .default_value = "15s",
     .help = "an image pool's Lease not renewed for this long passes to another node"},
    {.name = "sysfs-root",
     .env = "UNIVIRT_SYSFS_ROOT",
     .flag = "--sysfs-root",
     .default_value = "/sys",
     .help = "sysfs mount the GPUs are read from (bus/pci/devices/*)"},
    {.name = "gpu-vendors",
     .env = "UNIVIRT_GPU_VENDORS",
     .flag = "--gpu-vendors",
     .default_value = "0x10de",
     .help = "comma-separated PCI vendor ids whose display controllers are GPUs (NVIDIA)"},
    {.name = "gpu-rescan-period",
     .env = "UNIVIRT_GPU_RESCAN_PERIOD",
     .flag = "--gpu-rescan-period",
     .type = util::OptionType::Duration,
     .default_value = "1m",
     .help = "sysfs is read again this often (the kernel sends no inotify events for sysfs)"},
    {.name = "lock-file",
     .env = "UNIVIRT_LOCK_FILE",
     .flag = "--lock-file",
     .default_value = "/run/univirt/virtlet.lock",
     .help = "lock that keeps a second virtlet off this node; empty: no lock"},
};

}  // namespace

std::span<const util::ConfigOption> virtletOptions() { return kOptions; }

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

std::string homeNamespace(const util::Config& config) {
  const std::string& ns = config.getString("namespace");
  return ns.empty() ? std::string("default") : ns;
}

}  // namespace univirt::virtlet
