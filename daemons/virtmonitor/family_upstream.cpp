// The upstream vm_* / storage_pool_* family (crd-contract.md §7), with the upstream meaning:
// every series is a gauge; disk and NIC figures are per-second rates between this refresh and
// the one before (upstream took two samples 0.1 s apart; we use the two refreshes, which is the
// same quantity averaged over the refresh interval); the first refresh after a domain appears
// reports rate 0 and vm_cpu_idle_rate 1.00, as upstream's first sample does. Defined domains
// that are not running report 0 everywhere. The spelling `secend` is part of the contract.
//
// NIC `device` is the MAC address, as upstream (without the Python bytes quirk b'…'), from
// NicMacs; a NIC whose MAC is not known yet is labelled with its target device (vnet0).

#include <cmath>

#include "virtmonitor/families.h"

namespace univirt::virtmonitor {
namespace {

constexpr auto kGauge = MetricType::Gauge;

struct RateMetric {
  std::string_view name;
  std::string_view field;
  std::string_view help;
};

constexpr RateMetric kDiskRates[] = {
    {"vm_disk_read_requests_per_secend", "rd.reqs", "disk read requests per second"},
    {"vm_disk_write_requests_per_secend", "wr.reqs", "disk write requests per second"},
    {"vm_disk_read_bytes_per_secend", "rd.bytes", "disk bytes read per second"},
    {"vm_disk_write_bytes_per_secend", "wr.bytes", "disk bytes written per second"},
};

constexpr RateMetric kNetRates[] = {
    {"vm_network_receive_packages_per_secend", "rx.pkts", "packets received per second"},
    {"vm_network_receive_bytes_per_secend", "rx.bytes", "bytes received per second"},
    {"vm_network_receive_errors_per_secend", "rx.errs", "receive errors per second"},
    {"vm_network_receive_drops_per_secend", "rx.drop", "received packets dropped per second"},
    {"vm_network_send_packages_per_secend", "tx.pkts", "packets sent per second"},
    {"vm_network_send_bytes_per_secend", "tx.bytes", "bytes sent per second"},
    {"vm_network_send_errors_per_secend", "tx.errs", "send errors per second"},
    {"vm_network_send_drops_per_secend", "tx.drop", "sent packets dropped per second"},
};

constexpr std::string_view kOwnerLabels[] = {"owner", "router", "autoscalinggroup", "cluster"};

const DomainStats* findDomain(const Snapshot* snapshot, const std::string& uuid) {
  if (snapshot == nullptr) {
    return nullptr;
  }
  for (const DomainStats& domain : snapshot->domains) {
    if (domain.uuid == uuid) {
      return &domain;
    }
  }
  return nullptr;
}

const DeviceStats* findDevice(const std::vector<DeviceStats>* devices, const std::string& name) {
  if (devices == nullptr) {
    return nullptr;
  }
  for (const DeviceStats& device : *devices) {
    if (device.name == name) {
      return &device;
    }
  }
  return nullptr;
}

// Δfield/Δt; 0 without an earlier sample, and 0 when the counter went back (domain restart).
double ratePerSecond(const Fields& now, const Fields* before, std::string_view name,
                     double seconds) {
  if (before == nullptr || seconds <= 0) {
    return 0;
  }
  auto current = field(now, name);
  auto previous = field(*before, name);
  if (!current.has_value() || !previous.has_value() || *current < *previous) {
    return 0;
  }
  return (*current - *previous) / seconds;
}

std::string nicDevice(const RenderContext& context, const std::string& uuid,
                      const std::string& name) {
  if (context.nic_macs != nullptr) {
    if (auto domain = context.nic_macs->find(uuid); domain != context.nic_macs->end()) {
      if (auto mac = domain->second.find(name); mac != domain->second.end()) {
        return mac->second;
      }
    }
  }
  return name;
}

double vcpuTimeNs(const DomainStats& domain) {
  double total = 0;
  for (const DeviceStats& vcpu : domain.vcpus) {
    total += field(vcpu.fields, "time").value_or(0);
  }
  return total;
}

// 1 - cpu_util, two decimals, where cpu_util is the vCPU time used per wall time per vCPU.
double cpuIdleRate(const DomainStats& domain, const DomainStats* before, double seconds) {
  if (before == nullptr || seconds <= 0 || domain.vcpus.empty()) {
    return 1.0;
  }
  const double used_ns = vcpuTimeNs(domain) - vcpuTimeNs(*before);
  if (used_ns < 0) {
    return 1.0;
  }
  const double vcpus =
      field(domain.fields, "vcpu.current").value_or(static_cast<double>(domain.vcpus.size()));
  double util = used_ns / (seconds * 1e9) / std::max(vcpus, 1.0);
  util = std::clamp(util, 0.0, 1.0);
  return std::round((1.0 - util) * 100) / 100;
}

void addMemory(MetricSet& metrics, const DomainStats& domain, const Labels& labels) {
  const bool active = domain.active();
  const auto actual = field(domain.fields, "balloon.current");
  const auto available = field(domain.fields, "balloon.available");
  const auto unused = field(domain.fields, "balloon.unused");
  double buffers_kib = 0;
  if (actual.has_value() && available.has_value()) {
    buffers_kib = std::fabs(*actual - *available);
  }
  double rate = 0;
  if (available.value_or(0) > 0) {
    rate = (*available - unused.value_or(0) - buffers_kib) / *available * 100;
  }
  metrics.add("vm_mem_total_bytes", kGauge, "", labels, active ? available.value_or(0) * 1024 : 0);
  metrics.add("vm_mem_available_bytes", kGauge, "", labels, active ? unused.value_or(0) * 1024 : 0);
  metrics.add("vm_mem_buffers_bytes", kGauge, "", labels, active ? buffers_kib * 1024 : 0);
  metrics.add("vm_mem_rate", kGauge, "", labels, active ? rate : 0);
}

template <std::size_t N>
void addRates(MetricSet& metrics, const RateMetric (&table)[N], const DeviceStats& device,
              const DeviceStats* before, double seconds, bool active, const Labels& labels) {
  for (const RateMetric& row : table) {
    metrics.add(row.name, kGauge, row.help, labels,
                active ? ratePerSecond(device.fields, before != nullptr ? &before->fields : nullptr,
                                       row.field, seconds)
                       : 0);
  }
}

}  // namespace

void addUpstreamFamily(const RenderContext& context, MetricSet& metrics) {
  metrics.family("vm_cpu_idle_rate", kGauge,
                 "1 - vCPU utilisation between the last two refreshes (0..1, two decimals)");
  metrics.family("vm_mem_total_bytes", kGauge, "memory the guest sees (balloon available)");
  metrics.family("vm_mem_available_bytes", kGauge, "memory the guest leaves unused");
  metrics.family("vm_mem_buffers_bytes", kGauge,
                 "absolute difference of the balloon's actual and available memory");
  metrics.family("vm_mem_rate", kGauge,
                 "percentage of guest memory in use: (available - unused - buffers) / available");
  for (const RateMetric& row : kDiskRates) {
    metrics.family(row.name, kGauge, row.help);
  }
  for (const RateMetric& row : kNetRates) {
    metrics.family(row.name, kGauge, row.help);
  }
  metrics.family("storage_pool_total_size_kilobytes", kGauge, "capacity of the storage pool");
  metrics.family("storage_pool_used_size_kilobytes", kGauge,
                 "kilobytes allocated in the storage pool");

  double seconds = 0;
  if (context.previous != nullptr) {
    seconds =
        std::chrono::duration<double>(context.current.taken - context.previous->taken).count();
  }
  for (const DomainStats& domain : context.current.domains) {
    Labels labels = {{"zone", context.zone}, {"host", context.node}, {"vm", domain.name}};
    const VmOwner* owner = nullptr;
    if (auto it = context.owners.find(domain.name); it != context.owners.end()) {
      owner = &it->second;
    }
    for (std::string_view key : kOwnerLabels) {
      std::string value;
      if (owner != nullptr) {
        if (auto label = owner->labels.find(std::string(key)); label != owner->labels.end()) {
          value = label->second;
        }
      }
      labels.emplace_back(std::string(key), std::move(value));
    }
    const DomainStats* before = findDomain(context.previous, domain.uuid);
    const bool active = domain.active();
    metrics.add("vm_cpu_idle_rate", kGauge, "", labels,
                active ? cpuIdleRate(domain, before, seconds) : 0);
    addMemory(metrics, domain, labels);
    for (const DeviceStats& block : domain.blocks) {
      Labels device = labels;
      device.emplace_back("device", block.name);
      addRates(metrics, kDiskRates, block,
               findDevice(before != nullptr ? &before->blocks : nullptr, block.name), seconds,
               active, device);
    }
    for (const DeviceStats& net : domain.nets) {
      Labels device = labels;
      device.emplace_back("device", nicDevice(context, domain.uuid, net.name));
      addRates(metrics, kNetRates, net,
               findDevice(before != nullptr ? &before->nets : nullptr, net.name), seconds, active,
               device);
    }
  }
  for (const StoragePoolStats& pool : context.current.pools) {
    const Labels labels = {
        {"zone", context.zone}, {"host", context.node}, {"pool", pool.name}, {"type", pool.type}};
    metrics.add("storage_pool_total_size_kilobytes", kGauge, "", labels,
                pool.capacity_bytes / 1024);
    metrics.add("storage_pool_used_size_kilobytes", kGauge, "", labels,
                pool.allocation_bytes / 1024);
  }
}

}  // namespace univirt::virtmonitor
