// The kubevirt_vmi_* family: KubeVirt's virt-handler names and label names (node, namespace,
// name; id and state per vCPU, interface per NIC, drive per disk), so KubeVirt dashboards and
// alerts read univirt domains unchanged. A domain no VirtualMachine owns is reported with its
// own name and an empty namespace.

#include "virtmonitor/families.h"

namespace univirt::virtmonitor {
namespace {

constexpr double kNs = 1e-9;
constexpr double kKib = 1024;
constexpr auto kGauge = MetricType::Gauge;
constexpr auto kCounter = MetricType::Counter;

constexpr FieldMetric kVmiMetrics[] = {
    {"kubevirt_vmi_cpu_usage_seconds_total", kCounter, "cpu.time", kNs,
     "total CPU time spent in all modes"},
    {"kubevirt_vmi_cpu_user_usage_seconds_total", kCounter, "cpu.user", kNs,
     "total CPU time spent in user mode"},
    {"kubevirt_vmi_cpu_system_usage_seconds_total", kCounter, "cpu.system", kNs,
     "total CPU time spent in system mode"},
    {"kubevirt_vmi_memory_resident_bytes", kGauge, "balloon.rss", kKib,
     "resident set size of the process running the domain"},
    {"kubevirt_vmi_memory_available_bytes", kGauge, "balloon.available", kKib,
     "amount of usable memory as seen by the domain"},
    {"kubevirt_vmi_memory_unused_bytes", kGauge, "balloon.unused", kKib,
     "amount of memory left completely unused by the system"},
    {"kubevirt_vmi_memory_usable_bytes", kGauge, "balloon.usable", kKib,
     "amount of memory which can be reclaimed by balloon without pushing the guest into swap"},
    {"kubevirt_vmi_memory_actual_balloon_bytes", kGauge, "balloon.current", kKib,
     "current balloon size"},
    {"kubevirt_vmi_memory_domain_bytes", kGauge, "balloon.maximum", kKib,
     "amount of memory allocated to the domain"},
    {"kubevirt_vmi_memory_cached_bytes", kGauge, "balloon.disk_caches", kKib,
     "amount of memory used for disk caches that can be reclaimed"},
    {"kubevirt_vmi_memory_swap_in_traffic_bytes", kGauge, "balloon.swap_in", kKib,
     "total amount of data read from swap space of the guest"},
    {"kubevirt_vmi_memory_swap_out_traffic_bytes", kGauge, "balloon.swap_out", kKib,
     "total amount of memory written out to swap space of the guest"},
    {"kubevirt_vmi_memory_pgmajfault_total", kCounter, "balloon.major_fault", 1,
     "page faults that needed disk IO"},
    {"kubevirt_vmi_memory_pgminfault_total", kCounter, "balloon.minor_fault", 1,
     "page faults that did not need disk IO"},
};

// Labels: the VMI's, plus id (kubevirt_vmi_vcpu_seconds_total also state).
constexpr FieldMetric kVcpuMetrics[] = {
    {"kubevirt_vmi_vcpu_seconds_total", kCounter, "time", kNs,
     "total amount of time spent in each state by each vcpu"},
    {"kubevirt_vmi_vcpu_wait_seconds_total", kCounter, "wait", kNs,
     "amount of time spent by each vcpu while waiting on I/O"},
    {"kubevirt_vmi_vcpu_delay_seconds_total", kCounter, "delay", kNs,
     "amount of time spent by each vcpu waiting in the queue instead of running"},
};

// Labels: the VMI's, plus interface.
constexpr FieldMetric kNetMetrics[] = {
    {"kubevirt_vmi_network_receive_bytes_total", kCounter, "rx.bytes", 1,
     "total network traffic received in bytes"},
    {"kubevirt_vmi_network_receive_packets_total", kCounter, "rx.pkts", 1,
     "total network traffic received packets"},
    {"kubevirt_vmi_network_receive_errors_total", kCounter, "rx.errs", 1,
     "total network received error packets"},
    {"kubevirt_vmi_network_receive_packets_dropped_total", kCounter, "rx.drop", 1,
     "total number of rx packets dropped on vNIC interfaces"},
    {"kubevirt_vmi_network_transmit_bytes_total", kCounter, "tx.bytes", 1,
     "total network traffic transmitted in bytes"},
    {"kubevirt_vmi_network_transmit_packets_total", kCounter, "tx.pkts", 1,
     "total network traffic transmitted packets"},
    {"kubevirt_vmi_network_transmit_errors_total", kCounter, "tx.errs", 1,
     "total network transmitted error packets"},
    {"kubevirt_vmi_network_transmit_packets_dropped_total", kCounter, "tx.drop", 1,
     "total number of tx packets dropped on vNIC interfaces"},
};

// Labels: the VMI's, plus drive.
constexpr FieldMetric kStorageMetrics[] = {
    {"kubevirt_vmi_storage_read_traffic_bytes_total", kCounter, "rd.bytes", 1,
     "total number of bytes read from storage"},
    {"kubevirt_vmi_storage_write_traffic_bytes_total", kCounter, "wr.bytes", 1,
     "total number of written bytes"},
    {"kubevirt_vmi_storage_iops_read_total", kCounter, "rd.reqs", 1,
     "total number of I/O read operations"},
    {"kubevirt_vmi_storage_iops_write_total", kCounter, "wr.reqs", 1,
     "total number of I/O write operations"},
    {"kubevirt_vmi_storage_read_times_seconds_total", kCounter, "rd.times", kNs,
     "total time spent on read operations"},
    {"kubevirt_vmi_storage_write_times_seconds_total", kCounter, "wr.times", kNs,
     "total time spent on write operations"},
    {"kubevirt_vmi_storage_flush_requests_total", kCounter, "fl.reqs", 1,
     "total storage flush requests"},
    {"kubevirt_vmi_storage_flush_times_seconds_total", kCounter, "fl.times", kNs,
     "total time spent on cache flushing"},
};

template <std::size_t N>
void declare(MetricSet& metrics, const FieldMetric (&table)[N]) {
  for (const FieldMetric& row : table) {
    metrics.family(row.name, row.type, row.help);
  }
}

template <std::size_t N>
void addFields(MetricSet& metrics, const FieldMetric (&table)[N], const Fields& fields,
               const Labels& labels) {
  for (const FieldMetric& row : table) {
    if (auto value = field(fields, row.field); value.has_value()) {
      metrics.add(row.name, row.type, row.help, labels, *value * row.scale);
    }
  }
}

Labels plus(const Labels& base, std::string key, std::string value) {
  Labels labels = base;
  labels.emplace_back(std::move(key), std::move(value));
  return labels;
}

}  // namespace

void addKubevirtFamily(const RenderContext& context, MetricSet& metrics) {
  declare(metrics, kVmiMetrics);
  declare(metrics, kVcpuMetrics);
  declare(metrics, kNetMetrics);
  declare(metrics, kStorageMetrics);
  for (const DomainStats& domain : context.current.domains) {
    Labels labels = {{"node", context.node}, {"namespace", ""}, {"name", domain.name}};
    if (auto it = context.owners.find(domain.name); it != context.owners.end()) {
      labels[1].second = it->second.namespace_name;
      labels[2].second = it->second.name;
    }
    addFields(metrics, kVmiMetrics, domain.fields, labels);
    for (const DeviceStats& vcpu : domain.vcpus) {
      const Labels id = plus(labels, "id", std::to_string(vcpu.index));
      const auto state = field(vcpu.fields, "state");
      for (const FieldMetric& row : kVcpuMetrics) {
        auto value = field(vcpu.fields, row.field);
        if (!value.has_value()) {
          continue;
        }
        // KubeVirt puts the vCPU's state on the time series only.
        Labels row_labels =
            row.field == "time"
                ? plus(id, "state", std::string(vcpuStateName(static_cast<int>(state.value_or(0)))))
                : id;
        metrics.add(row.name, row.type, row.help, std::move(row_labels), *value * row.scale);
      }
    }
    for (const DeviceStats& net : domain.nets) {
      addFields(metrics, kNetMetrics, net.fields, plus(labels, "interface", net.name));
    }
    for (const DeviceStats& block : domain.blocks) {
      addFields(metrics, kStorageMetrics, block.fields, plus(labels, "drive", block.name));
    }
  }
}

}  // namespace univirt::virtmonitor
