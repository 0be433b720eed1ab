#include "virtlet/host_report.h"

#include <gtest/gtest.h>

namespace univirt::virtlet {
namespace {

HostSample sample() {
  return HostSample{
      .cpus = 16, .memory_mib = 32768, .free_memory_mib = 20000, .active_vms = 3, .used_vcpus = 6};
}

TEST(MakeReport, CapacityFromHostAndConfiguredVmSlots) {
  const NodeReport report = makeReport(sample(), 10, "");
  EXPECT_EQ(report.capacity.at(kCpuResource), 16);
  EXPECT_EQ(report.capacity.at(kMemoryResource), 32768);
  EXPECT_EQ(report.capacity.at(kVmsResource), 10);
  EXPECT_EQ(report.allocatable.at(kCpuResource), 10);
  EXPECT_EQ(report.allocatable.at(kMemoryResource), 20000);
  EXPECT_EQ(report.allocatable.at(kVmsResource), 7);
  EXPECT_TRUE(report.libvirt_ready);
  EXPECT_FALSE(report.memory_pressure);
}

TEST(MakeReport, FloorsAtZeroAndReportsLibvirtDown) {
  HostSample busy = sample();
  busy.active_vms = 50;
  busy.used_vcpus = 40;
  busy.free_memory_mib = 100;
  const NodeReport report = makeReport(busy, 40, "connection refused");
  EXPECT_EQ(report.allocatable.at(kVmsResource), 0);
  EXPECT_EQ(report.allocatable.at(kCpuResource), 0);
  EXPECT_FALSE(report.libvirt_ready);
  EXPECT_EQ(report.ready_reason, "LibvirtUnavailable");
  EXPECT_NE(report.ready_message.find("connection refused"), std::string::npos);
  EXPECT_TRUE(report.memory_pressure);
}

TEST(ReportChanged, SmallMemoryDriftIsNoChange) {
  const NodeReport written = makeReport(sample(), 40, "");
  HostSample drift = sample();
  drift.free_memory_mib += 100;
  EXPECT_FALSE(reportChanged(written, makeReport(drift, 40, ""), 256));
  drift.free_memory_mib += 200;
  EXPECT_TRUE(reportChanged(written, makeReport(drift, 40, ""), 256));
  HostSample started = sample();
  started.active_vms += 1;
  EXPECT_TRUE(reportChanged(written, makeReport(started, 40, ""), 256));
  EXPECT_TRUE(reportChanged(written, makeReport(sample(), 40, "down"), 256));
}

TEST(ApplyReport, KeepsTheKubeletsResourcesAndConditions) {
  const nlohmann::json status = {
      {"capacity", {{"cpu", "16"}, {"pods", "110"}}},
      {"conditions",
       {{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}},
        {{"type", kReadyCondition},
         {"status", "True"},
         {"lastTransitionTime", "2020-01-01T00:00:00Z"}}}}};
  const auto out =
      applyReport(status, makeReport(sample(), 40, ""), std::chrono::system_clock::now());
  EXPECT_EQ(out["capacity"]["cpu"], "16");
  EXPECT_EQ(out["capacity"]["pods"], "110");
  EXPECT_EQ(out["capacity"][kVmsResource], "40");
  EXPECT_EQ(out["allocatable"][kVmsResource], "37");
  ASSERT_EQ(out["conditions"].size(), 3U);
  EXPECT_EQ(out["conditions"][0]["reason"], "KubeletReady");
  EXPECT_EQ(out["conditions"][1]["type"], kReadyCondition);
  EXPECT_EQ(out["conditions"][1]["reason"], "VirtletReady");
  // Unchanged status keeps its transition time.
  EXPECT_EQ(out["conditions"][1]["lastTransitionTime"], "2020-01-01T00:00:00Z");
  EXPECT_EQ(out["conditions"][2]["type"], kMemoryPressureCondition);
  EXPECT_EQ(out["conditions"][2]["reason"], "VirtletHasSufficientMemory");
}

}  // namespace
}  // namespace univirt::virtlet
