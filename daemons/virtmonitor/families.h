#pragma once

// The three metric name families virtmonitor can emit, chosen by the `metric-families` option:
//
//   univirt   (default) univirt_domain_* / univirt_node_* / univirt_storage_pool_*: the layout
//             of the well-known libvirt exporters' libvirt_domain_* families; counters and
//             gauges as libvirt reports them, in base units (seconds, bytes).
//   upstream  vm_* / storage_pool_* exactly as the upstream Python exporter named them
//             (crd-contract.md §7): all gauges, disk and NIC figures as per-second rates
//             between two refreshes, the upstream label set (zone, host, vm, owner, router,
//             autoscalinggroup, cluster, device), inactive domains reported as zeros.
//   kubevirt  kubevirt_vmi_* with KubeVirt's names and labels (node, namespace, name, id,
//             interface, drive), so KubeVirt dashboards work unchanged.
//
// Each family is a set of tables (field → metric) rendered from one Snapshot; the metrics
// reference (docs/metrics.md) is rendered from the same tables and code (metrics_reference.h).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "virtmonitor/domain_stats.h"
#include "virtmonitor/exposition.h"

namespace univirt::virtmonitor {

enum class Family { Univirt, Upstream, Kubevirt };

std::string_view familyName(Family family);
// "univirt,kubevirt" → {Univirt, Kubevirt}; unknown or repeated names are InvalidArgument.
util::Result<std::vector<Family>> parseFamilies(std::string_view text);

// The VirtualMachine that owns a domain (the domain is named after it).
struct VmOwner {
  std::string namespace_name;
  std::string name;
  std::map<std::string, std::string> labels;  // metadata.labels
};
// By domain name.
using Owners = std::map<std::string, VmOwner, std::less<>>;

struct RenderContext {
  std::string node;  // lower-case host name
  std::string zone;  // upstream's zone label
  const Snapshot& current;
  const Snapshot* previous = nullptr;  // the refresh before, for the upstream rates
  const Owners& owners;
  // UUID → target device → MAC, for the upstream family's NIC `device` label; null or a
  // missing entry: the target device.
  const std::map<std::string, std::map<std::string, std::string>>* nic_macs = nullptr;
};

// One row of a family's table: libvirt field → metric.
struct FieldMetric {
  std::string_view name;
  MetricType type;
  std::string_view field;  // libvirt's name: "cpu.time", "rd.bytes"
  double scale;            // libvirt's unit → the metric's: 1e-9 for ns, 1024 for KiB
  std::string_view help;
};

void addUnivirtFamily(const RenderContext& context, MetricSet& metrics);
void addUpstreamFamily(const RenderContext& context, MetricSet& metrics);
void addKubevirtFamily(const RenderContext& context, MetricSet& metrics);

// Every family in `families`, in that order.
MetricSet renderFamilies(const std::vector<Family>& families, const RenderContext& context);

// libvirt's virDomainState as a lower-case word: running, paused, shutoff, ...
std::string_view domainStateName(int state);
// virVcpuState: offline, running, blocked.
std::string_view vcpuStateName(int state);

}  // namespace univirt::virtmonitor
