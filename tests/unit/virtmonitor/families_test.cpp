#include "virtmonitor/families.h"

#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "virtmonitor/metrics_reference.h"

namespace univirt::virtmonitor {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Optional;

// The value of the one sample of `name` carrying every label in `want`.
std::optional<double> sampleValue(const MetricSet& metrics, std::string_view name,
                                  const Labels& want) {
  std::optional<double> found;
  for (const MetricFamily& family : metrics.families()) {
    if (family.name != name) {
      continue;
    }
    for (const Sample& sample : family.samples) {
      bool matches = true;
      for (const auto& label : want) {
        matches = matches && std::find(sample.labels.begin(), sample.labels.end(), label) !=
                                 sample.labels.end();
      }
      if (matches) {
        EXPECT_FALSE(found.has_value()) << "two samples of " << name << " match";
        found = sample.value;
      }
    }
  }
  return found;
}

struct Rendered {
  Snapshot previous = referenceSnapshot(false);
  Snapshot current = referenceSnapshot(true);
  Owners owners = referenceOwners();

  MetricSet render(Family family, bool with_previous = true) const {
    const RenderContext context{.node = "node1",
                                .zone = "zone-a",
                                .current = current,
                                .previous = with_previous ? &previous : nullptr,
                                .owners = owners};
    return renderFamilies({family}, context);
  }
};

TEST(ParseFamilies, AcceptsAListAndRejectsUnknownOrRepeatedNames) {
  auto both = parseFamilies("univirt, kubevirt");
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(*both, (std::vector<Family>{Family::Univirt, Family::Kubevirt}));
  auto unknown = parseFamilies("univirt,prom");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message, HasSubstr("unknown metric family 'prom'"));
  EXPECT_FALSE(parseFamilies("upstream,upstream").has_value());
  EXPECT_FALSE(parseFamilies("").has_value());
}

TEST(UnivirtFamily, ConvertsLibvirtUnitsAndLabelsTheOwner) {
  const Rendered data;
  const MetricSet metrics = data.render(Family::Univirt);
  const Labels vm1 = {
      {"domain", "vm1"}, {"namespace", "default"}, {"name", "vm1"}, {"node", "node1"}};
  // cpu.time 8e9 ns in the later sample.
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_info_cpu_time_seconds_total", vm1),
              Optional(8.0));
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_memory_stats_actual_balloon_bytes", vm1),
              Optional(1048576.0 * 1024));
  Labels vcpu1 = vm1;
  vcpu1.emplace_back("vcpu", "1");
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_vcpu_time_seconds_total", vcpu1), Optional(3.0));
  Labels vda = vm1;
  vda.emplace_back("target_device", "vda");
  vda.emplace_back("source_file", "/var/lib/libvirt/images/vm1.qcow2");
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_block_stats_read_bytes_total", vda),
              Optional(819200.0));
  Labels vnet = vm1;
  vnet.emplace_back("target_device", "vnet0");
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_interface_stats_transmit_bytes_total", vnet),
              Optional(4e6));
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_stats_timed_out", vm1), Optional(0.0));
  // A domain without an owner: empty namespace and name; no CPU series when shut off.
  EXPECT_THAT(sampleValue(metrics, "univirt_domain_info_vstate",
                          {{"domain", "vm2"}, {"namespace", ""}, {"name", ""}}),
              Optional(5.0));
  EXPECT_EQ(sampleValue(metrics, "univirt_domain_info_cpu_time_seconds_total", {{"domain", "vm2"}}),
            std::nullopt);
  EXPECT_THAT(sampleValue(metrics, "univirt_node_domains", {{"state", "running"}}), Optional(1.0));
  EXPECT_THAT(sampleValue(metrics, "univirt_node_domains", {{"state", "shutoff"}}), Optional(1.0));
  EXPECT_THAT(sampleValue(metrics, "univirt_node_domains", {{"state", "paused"}}), Optional(0.0));
  EXPECT_THAT(sampleValue(metrics, "univirt_storage_pool_capacity_bytes",
                          {{"pool", "default"}, {"type", "dir"}}),
              Optional(1e11));
}

TEST(UpstreamFamily, ReportsRatesBetweenTwoRefreshes) {
  const Rendered data;
  const MetricSet metrics = data.render(Family::Upstream);
  const Labels vm1 = {{"zone", "zone-a"}, {"host", "node1"}, {"vm", "vm1"},
                      {"owner", "alice"}, {"router", "r1"},  {"autoscalinggroup", "g1"},
                      {"cluster", "c1"}};
  Labels vda = vm1;
  vda.emplace_back("device", "vda");
  // rd.bytes 409600 → 819200 in 10 s.
  EXPECT_THAT(sampleValue(metrics, "vm_disk_read_bytes_per_secend", vda), Optional(40960.0));
  EXPECT_THAT(sampleValue(metrics, "vm_disk_write_requests_per_secend", vda), Optional(5.0));
  Labels vnet = vm1;
  vnet.emplace_back("device", "vnet0");
  EXPECT_THAT(sampleValue(metrics, "vm_network_send_bytes_per_secend", vnet), Optional(2e5));
  EXPECT_THAT(sampleValue(metrics, "vm_network_receive_packages_per_secend", vnet),
              Optional(100.0));
  // Two vCPUs ran 2 × 1.5 s more in 10 s: 15 % busy.
  EXPECT_THAT(sampleValue(metrics, "vm_cpu_idle_rate", vm1), Optional(0.85));
  EXPECT_THAT(sampleValue(metrics, "vm_mem_total_bytes", vm1), Optional(1000000.0 * 1024));
  EXPECT_THAT(sampleValue(metrics, "vm_mem_available_bytes", vm1), Optional(524288.0 * 1024));
  EXPECT_THAT(sampleValue(metrics, "vm_mem_buffers_bytes", vm1), Optional(48576.0 * 1024));
  EXPECT_THAT(sampleValue(metrics, "vm_mem_rate", vm1),
              Optional(DoubleNear((1000000.0 - 524288 - 48576) / 1000000 * 100, 1e-9)));
  // The shut-off domain reports zeros, as upstream's inactive VMs.
  EXPECT_THAT(sampleValue(metrics, "vm_cpu_idle_rate", {{"vm", "vm2"}, {"owner", ""}}),
              Optional(0.0));
  EXPECT_THAT(sampleValue(metrics, "vm_mem_total_bytes", {{"vm", "vm2"}}), Optional(0.0));
  EXPECT_THAT(sampleValue(metrics, "storage_pool_total_size_kilobytes",
                          {{"zone", "zone-a"}, {"host", "node1"}, {"pool", "default"}}),
              Optional(1e11 / 1024));
}

TEST(UpstreamFamily, LabelsNicsWithTheirMacAddressWhenKnown) {
  const Rendered data;
  const Owners owners;
  const std::map<std::string, std::map<std::string, std::string>> macs = {
      {data.current.domains[0].uuid, {{"vnet0", "52:54:00:aa:bb:cc"}}}};
  const RenderContext context{.node = "node1",
                              .zone = "",
                              .current = data.current,
                              .previous = &data.previous,
                              .owners = owners,
                              .nic_macs = &macs};
  const MetricSet metrics = renderFamilies({Family::Upstream}, context);
  EXPECT_THAT(sampleValue(metrics, "vm_network_send_bytes_per_secend",
                          {{"vm", "vm1"}, {"device", "52:54:00:aa:bb:cc"}}),
              Optional(2e5));
}

TEST(UpstreamFamily, FirstRefreshReportsZeroRatesAndFullIdle) {
  const Rendered data;
  const MetricSet metrics = data.render(Family::Upstream, /*with_previous=*/false);
  EXPECT_THAT(sampleValue(metrics, "vm_disk_read_bytes_per_secend", {{"vm", "vm1"}}),
              Optional(0.0));
  EXPECT_THAT(sampleValue(metrics, "vm_cpu_idle_rate", {{"vm", "vm1"}}), Optional(1.0));
}

TEST(UpstreamFamily, ACounterThatWentBackReportsZeroNotANegativeRate) {
  Rendered data;
  std::swap(data.previous.domains, data.current.domains);  // "later" values now come first
  const MetricSet metrics = data.render(Family::Upstream);
  EXPECT_THAT(sampleValue(metrics, "vm_disk_read_bytes_per_secend", {{"vm", "vm1"}}),
              Optional(0.0));
  EXPECT_THAT(sampleValue(metrics, "vm_cpu_idle_rate", {{"vm", "vm1"}}), Optional(1.0));
}

TEST(KubevirtFamily, UsesKubevirtNamesAndLabels) {
  const Rendered data;
  const MetricSet metrics = data.render(Family::Kubevirt);
  const Labels vmi = {{"node", "node1"}, {"namespace", "default"}, {"name", "vm1"}};
  EXPECT_THAT(sampleValue(metrics, "kubevirt_vmi_cpu_usage_seconds_total", vmi), Optional(8.0));
  EXPECT_THAT(sampleValue(metrics, "kubevirt_vmi_memory_resident_bytes", vmi),
              Optional(300000.0 * 1024));
  Labels vcpu = vmi;
  vcpu.emplace_back("id", "0");
  vcpu.emplace_back("state", "running");
  EXPECT_THAT(sampleValue(metrics, "kubevirt_vmi_vcpu_seconds_total", vcpu), Optional(3.0));
  Labels drive = vmi;
  drive.emplace_back("drive", "vda");
  EXPECT_THAT(sampleValue(metrics, "kubevirt_vmi_storage_iops_read_total", drive), Optional(200.0));
  Labels nic = vmi;
  nic.emplace_back("interface", "vnet0");
  EXPECT_THAT(sampleValue(metrics, "kubevirt_vmi_network_receive_packets_dropped_total", nic),
              Optional(2.0));
  // An unowned domain keeps its own name.
  EXPECT_EQ(sampleValue(metrics, "kubevirt_vmi_cpu_usage_seconds_total", {{"name", "vm2"}}),
            std::nullopt);  // shut off: no CPU time reported
}

}  // namespace
}  // namespace univirt::virtmonitor
