// The native univirt_* family: the layout of the libvirt exporters' libvirt_domain_* families,
// values as libvirt reports them converted to base units (rates belong in PromQL).

#include <array>

#include "virtmonitor/families.h"

namespace univirt::virtmonitor {
namespace {

constexpr double kNs = 1e-9;
constexpr double kKib = 1024;
constexpr auto kGauge = MetricType::Gauge;
constexpr auto kCounter = MetricType::Counter;

// Labels: domain, uuid, node, namespace, name.
constexpr FieldMetric kDomainMetrics[] = {
    {"univirt_domain_info_vstate", kGauge, "state.state", 1,
     "libvirt domain state (virDomainState: 1 running, 3 paused, 5 shut off, ...)"},
    {"univirt_domain_info_maximum_memory_bytes", kGauge, "balloon.maximum", kKib,
     "maximum memory of the domain"},
    {"univirt_domain_info_memory_usage_bytes", kGauge, "balloon.current", kKib,
     "memory currently given to the domain (balloon target)"},
    {"univirt_domain_info_virtual_cpus", kGauge, "vcpu.current", 1, "vCPUs currently online"},
    {"univirt_domain_info_maximum_virtual_cpus", kGauge, "vcpu.maximum", 1,
     "vCPUs the domain may have"},
    {"univirt_domain_info_cpu_time_seconds_total", kCounter, "cpu.time", kNs,
     "CPU time used by the domain's QEMU process"},
    {"univirt_domain_cpu_user_seconds_total", kCounter, "cpu.user", kNs,
     "user-mode CPU time of the domain's QEMU process"},
    {"univirt_domain_cpu_system_seconds_total", kCounter, "cpu.system", kNs,
     "kernel-mode CPU time of the domain's QEMU process"},
    {"univirt_domain_memory_stats_actual_balloon_bytes", kGauge, "balloon.current", kKib,
     "current balloon size"},
    {"univirt_domain_memory_stats_available_bytes", kGauge, "balloon.available", kKib,
     "memory the guest sees as total (guest agent / balloon driver)"},
    {"univirt_domain_memory_stats_usable_bytes", kGauge, "balloon.usable", kKib,
     "memory the guest could use without swapping"},
    {"univirt_domain_memory_stats_unused_bytes", kGauge, "balloon.unused", kKib,
     "memory the guest leaves completely unused"},
    {"univirt_domain_memory_stats_rss_bytes", kGauge, "balloon.rss", kKib,
     "resident set size of the domain's QEMU process"},
    {"univirt_domain_memory_stats_disk_cache_bytes", kGauge, "balloon.disk_caches", kKib,
     "guest page cache that can be reclaimed"},
    {"univirt_domain_memory_stats_swap_in_bytes_total", kCounter, "balloon.swap_in", kKib,
     "memory the guest swapped in"},
    {"univirt_domain_memory_stats_swap_out_bytes_total", kCounter, "balloon.swap_out", kKib,
     "memory the guest swapped out"},
    {"univirt_domain_memory_stats_major_fault_total", kCounter, "balloon.major_fault", 1,
     "major page faults in the guest"},
    {"univirt_domain_memory_stats_minor_fault_total", kCounter, "balloon.minor_fault", 1,
     "minor page faults in the guest"},
};

// Labels: the domain's, plus vcpu.
constexpr FieldMetric kVcpuMetrics[] = {
    {"univirt_domain_vcpu_state", kGauge, "state", 1,
     "vCPU state (virVcpuState: 0 offline, 1 running, 2 blocked)"},
    {"univirt_domain_vcpu_time_seconds_total", kCounter, "time", kNs, "time the vCPU ran"},
    {"univirt_domain_vcpu_wait_seconds_total", kCounter, "wait", kNs,
     "time the vCPU wanted to run but the host did not schedule it"},
    {"univirt_domain_vcpu_delay_seconds_total", kCounter, "delay", kNs,
     "time the vCPU thread waited in the host run queue"},
};

// Labels: the domain's, plus target_device and source_file.
constexpr FieldMetric kBlockMetrics[] = {
    {"univirt_domain_block_stats_read_bytes_total", kCounter, "rd.bytes", 1, "bytes read"},
    {"univirt_domain_block_stats_read_requests_total", kCounter, "rd.reqs", 1, "read requests"},
    {"univirt_domain_block_stats_read_time_seconds_total", kCounter, "rd.times", kNs,
     "time spent on reads"},
    {"univirt_domain_block_stats_write_bytes_total", kCounter, "wr.bytes", 1, "bytes written"},
    {"univirt_domain_block_stats_write_requests_total", kCounter, "wr.reqs", 1, "write requests"},
    {"univirt_domain_block_stats_write_time_seconds_total", kCounter, "wr.times", kNs,
     "time spent on writes"},
    {"univirt_domain_block_stats_flush_requests_total", kCounter, "fl.reqs", 1, "flush requests"},
    {"univirt_domain_block_stats_flush_time_seconds_total", kCounter, "fl.times", kNs,
     "time spent on flushes"},
    {"univirt_domain_block_stats_capacity_bytes", kGauge, "capacity", 1,
     "size of the disk as the guest sees it"},
    {"univirt_domain_block_stats_allocation_bytes", kGauge, "allocation", 1,
     "highest written offset (qcow2: host bytes in use)"},
    {"univirt_domain_block_stats_physical_bytes", kGauge, "physical", 1,
     "size of the disk's backing file or device on the host"},
};

// Labels: the domain's, plus target_device.
constexpr FieldMetric kNetMetrics[] = {
    {"univirt_domain_interface_stats_receive_bytes_total", kCounter, "rx.bytes", 1,
     "bytes received"},
    {"univirt_domain_interface_stats_receive_packets_total", kCounter, "rx.pkts", 1,
     "packets received"},
    {"univirt_domain_interface_stats_receive_errors_total", kCounter, "rx.errs", 1,
     "receive errors"},
    {"univirt_domain_interface_stats_receive_drops_total", kCounter, "rx.drop", 1,
     "received packets dropped"},
    {"univirt_domain_interface_stats_transmit_bytes_total", kCounter, "tx.bytes", 1, "bytes sent"},
    {"univirt_domain_interface_stats_transmit_packets_total", kCounter, "tx.pkts", 1,
     "packets sent"},
    {"univirt_domain_interface_stats_transmit_errors_total", kCounter, "tx.errs", 1, "send errors"},
    {"univirt_domain_interface_stats_transmit_drops_total", kCounter, "tx.drop", 1,
     "sent packets dropped"},
};

constexpr std::array kDomainStates = {VIR_DOMAIN_NOSTATE, VIR_DOMAIN_RUNNING,    VIR_DOMAIN_BLOCKED,
                                      VIR_DOMAIN_PAUSED,  VIR_DOMAIN_SHUTDOWN,   VIR_DOMAIN_SHUTOFF,
                                      VIR_DOMAIN_CRASHED, VIR_DOMAIN_PMSUSPENDED};

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

Labels withLabels(const Labels& base,
                  std::initializer_list<std::pair<std::string, std::string>> more) {
  Labels labels = base;
  labels.insert(labels.end(), more.begin(), more.end());
  return labels;
}

}  // namespace

void addUnivirtFamily(const RenderContext& context, MetricSet& metrics) {
  // Declared first so the families keep their order and appear even with no domains.
  declare(metrics, kDomainMetrics);
  metrics.family("univirt_domain_stats_timed_out", kGauge,
                 "1 when the last refresh could not get the domain's job-bound statistics "
                 "without waiting (a migration or a stuck monitor holds its job lock)");
  declare(metrics, kVcpuMetrics);
  declare(metrics, kBlockMetrics);
  declare(metrics, kNetMetrics);
  metrics.family("univirt_node_domains", kGauge, "domains on the node, by state");
  metrics.family("univirt_storage_pool_active", kGauge, "1 when the storage pool is active");
  metrics.family("univirt_storage_pool_capacity_bytes", kGauge, "capacity of the storage pool");
  metrics.family("univirt_storage_pool_allocation_bytes", kGauge,
                 "bytes allocated in the storage pool");
  metrics.family("univirt_storage_pool_available_bytes", kGauge,
                 "bytes still free in the storage pool");

  std::map<int, int> by_state;
  for (const DomainStats& domain : context.current.domains) {
    ++by_state[domain.state];
    const VmOwner* owner = nullptr;
    if (auto it = context.owners.find(domain.name); it != context.owners.end()) {
      owner = &it->second;
    }
    const Labels labels = {{"domain", domain.name},
                           {"uuid", domain.uuid},
                           {"node", context.node},
                           {"namespace", owner != nullptr ? owner->namespace_name : ""},
                           {"name", owner != nullptr ? owner->name : ""}};
    addFields(metrics, kDomainMetrics, domain.fields, labels);
    metrics.add("univirt_domain_stats_timed_out", kGauge, "", labels, domain.timed_out ? 1 : 0);
    for (const DeviceStats& vcpu : domain.vcpus) {
      addFields(metrics, kVcpuMetrics, vcpu.fields,
                withLabels(labels, {{"vcpu", std::to_string(vcpu.index)}}));
    }
    for (const DeviceStats& block : domain.blocks) {
      addFields(metrics, kBlockMetrics, block.fields,
                withLabels(labels, {{"target_device", block.name}, {"source_file", block.path}}));
    }
    for (const DeviceStats& net : domain.nets) {
      addFields(metrics, kNetMetrics, net.fields,
                withLabels(labels, {{"target_device", net.name}}));
    }
  }
  for (int state : kDomainStates) {
    metrics.add("univirt_node_domains", kGauge, "",
                {{"node", context.node}, {"state", std::string(domainStateName(state))}},
                by_state[state]);
  }
  for (const StoragePoolStats& pool : context.current.pools) {
    const Labels labels = {{"node", context.node}, {"pool", pool.name}, {"type", pool.type}};
    metrics.add("univirt_storage_pool_active", kGauge, "", labels, pool.active ? 1 : 0);
    metrics.add("univirt_storage_pool_capacity_bytes", kGauge, "", labels, pool.capacity_bytes);
    metrics.add("univirt_storage_pool_allocation_bytes", kGauge, "", labels, pool.allocation_bytes);
    metrics.add("univirt_storage_pool_available_bytes", kGauge, "", labels, pool.available_bytes);
  }
}

}  // namespace univirt::virtmonitor
