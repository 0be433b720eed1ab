#include <algorithm>

#include "core/virt/domain_xml.h"

// ArrayPaths: a small trie over JSON keys, plus upstream's list of always-array paths.

namespace univirt::virt {
namespace {

// Upstream core/utils/arraylist.cfg (kubesys/uni-virt), verbatim and in its order. upstream
// read it at run time from /etc/uniVirt/arraylist.cfg; the list is part of the CRD contract, so
// it is compiled in. Paths use the renamed keys (`_interface`).
constexpr std::string_view kUpstreamArrayPaths[] = {
    "domain-seclabel",
    "domain-iothreadids-iothread",
    "domain-blkiotune-device",
    "domain-idmap-uid",
    "domain-idmap-gid",
    "domain-sysinfo-memory",
    "domain-sysinfo-system-entry",
    "domain-sysinfo-baseBoard",
    "domain-sysinfo-bios-entry",
    "domain-sysinfo-chassis-entry",
    "domain-sysinfo-processor",
    "domain-numatune-memnode",
    "domain-keywrap-cipher",
    "domain-memoryBacking-hugepages-page",
    "domain-perf-event",
    "domain-os-acpi-table",
    "domain-os-boot",
    "domain-os-initenv",
    "domain-devices-memory",
    "domain-devices-redirfilter",
    "domain-devices-sound",
    "domain-devices-channel",
    "domain-devices-graphics",
    "domain-devices-video",
    "domain-devices-_interface",
    "domain-devices-hostdev",
    "domain-devices-parallel",
    "domain-devices-console",
    "domain-devices-controller",
    "domain-devices-shmem",
    "domain-devices-redirdev",
    "domain-devices-rng",
    "domain-devices-smartcard",
    "domain-devices-filesystem",
    "domain-devices-panic",
    "domain-devices-tpm",
    "domain-devices-input",
    "domain-devices-disk",
    "domain-devices-hub",
    "domain-devices-serial",
    "domain-devices-lease",
    "domain-cpu-feature",
    "domain-cpu-numa-cell",
    "domain-clock-timer",
    "domain-vcpus-vcpu",
    "domain-cputune-iothreadpin",
    "domain-cputune-vcpusched",
    "domain-cputune-iothreadsched",
    "domain-cputune-vcpupin",
    "domain-cputune-cachetune",
    "domain-cputune-memorytune",
    "domainsnapshot-disks-disk",
    "domainsnapshot-domain-seclabel",
    "domainsnapshot-domain-iothreadids-iothread",
    "domainsnapshot-domain-blkiotune-device",
    "domainsnapshot-domain-idmap-uid",
    "domainsnapshot-domain-idmap-gid",
    "domainsnapshot-domain-sysinfo-memory",
    "domainsnapshot-domain-sysinfo-system-entry",
    "domainsnapshot-domain-sysinfo-baseBoard",
    "domainsnapshot-domain-sysinfo-bios-entry",
    "domainsnapshot-domain-sysinfo-chassis-entry",
    "domainsnapshot-domain-sysinfo-processor",
    "domainsnapshot-domain-numatune-memnode",
    "domainsnapshot-domain-keywrap-cipher",
    "domainsnapshot-domain-memoryBacking-hugepages-page",
    "domainsnapshot-domain-perf-event",
    "domainsnapshot-domain-os-acpi-table",
    "domainsnapshot-domain-os-boot",
    "domainsnapshot-domain-os-initenv",
    "domainsnapshot-domain-devices-memory",
    "domainsnapshot-domain-devices-redirfilter",
    "domainsnapshot-domain-devices-sound",
    "domainsnapshot-domain-devices-channel",
    "domainsnapshot-domain-devices-graphics",
    "domainsnapshot-domain-devices-video",
    "domainsnapshot-domain-devices-_interface",
    "domainsnapshot-domain-devices-hostdev",
    "domainsnapshot-domain-devices-parallel",
    "domainsnapshot-domain-devices-console",
    "domainsnapshot-domain-devices-controller",
    "domainsnapshot-domain-devices-shmem",
    "domainsnapshot-domain-devices-redirdev",
    "domainsnapshot-domain-devices-rng",
    "domainsnapshot-domain-devices-smartcard",
    "domainsnapshot-domain-devices-filesystem",
    "domainsnapshot-domain-devices-panic",
    "domainsnapshot-domain-devices-tpm",
    "domainsnapshot-domain-devices-input",
    "domainsnapshot-domain-devices-disk",
    "domainsnapshot-domain-devices-hub",
    "domainsnapshot-domain-devices-serial",
    "domainsnapshot-domain-devices-lease",
    "domainsnapshot-domain-cpu-feature",
    "domainsnapshot-domain-cpu-numa-cell",
    "domainsnapshot-domain-clock-timer",
    "domainsnapshot-domain-vcpus-vcpu",
    "domainsnapshot-domain-cputune-iothreadpin",
    "domainsnapshot-domain-cputune-vcpusched",
    "domainsnapshot-domain-cputune-iothreadsched",
    "domainsnapshot-domain-cputune-vcpupin",
    "domainsnapshot-domain-cputune-cachetune",
    "domainsnapshot-domain-cputune-memorytune",
};

}  // namespace

ArrayPaths::ArrayPaths() : nodes_(1) {}

ArrayPaths::ArrayPaths(std::span<const std::string_view> paths) : nodes_(1) {
  for (std::string_view path : paths) {
    add(path);
  }
}

ArrayPaths ArrayPaths::fromConfig(std::string_view text) {
  ArrayPaths paths;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') {
      continue;
    }
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    paths.add(line);
  }
  return paths;
}

void ArrayPaths::add(std::string_view path) {
  NodeId node = root();
  while (!path.empty()) {
    const std::size_t dash = path.find('-');
    std::string_view key = path.substr(0, dash);
    path = dash == std::string_view::npos ? std::string_view() : path.substr(dash + 1);
    NodeId next = child(node, key);
    if (next == kNoNode) {
      next = static_cast<NodeId>(nodes_.size());
      nodes_[static_cast<std::size_t>(node)].children.emplace_back(std::string(key), next);
      nodes_.emplace_back();  // may reallocate: nothing above holds a reference
    }
    node = next;
  }
  if (node != root()) {
    nodes_[static_cast<std::size_t>(node)].is_array = true;
  }
}

ArrayPaths::NodeId ArrayPaths::child(NodeId node, std::string_view key) const {
  if (node == kNoNode) {
    return kNoNode;
  }
  const auto& children = nodes_[static_cast<std::size_t>(node)].children;
  auto it = std::find_if(children.begin(), children.end(),
                         [key](const auto& entry) { return entry.first == key; });
  return it == children.end() ? kNoNode : it->second;
}

bool ArrayPaths::isArray(NodeId node) const {
  return node != kNoNode && nodes_[static_cast<std::size_t>(node)].is_array;
}

const ArrayPaths& upstreamArrayPaths() {
  static const ArrayPaths paths(kUpstreamArrayPaths);
  return paths;
}

}  // namespace univirt::virt
