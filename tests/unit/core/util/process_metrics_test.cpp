#include "core/util/process_metrics.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/util/clock.h"
#include "core/version.h"

namespace univirt::util {
namespace {

TEST(ProcessStats, ReadsMemoryStartTimeAndLimits) {
  auto stats = readProcessStats();
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_GT(stats->resident_bytes, 1024 * 1024);  // a gtest binary is never below 1 MiB
  EXPECT_GE(stats->virtual_bytes, stats->resident_bytes);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(stats->start_time_seconds, now + 1);  // btime has whole-second resolution
  EXPECT_GT(stats->start_time_seconds, now - 24 * 3600);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(stats->max_fds, static_cast<double>(limit.rlim_cur));
}

TEST(ProcessStats, CountsOpenDescriptorsExactly) {
  auto before = readProcessStats();
  ASSERT_TRUE(before.has_value()) << before.error().message;
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_GE(fds.back(), 0);
  }
  auto during = readProcessStats();
  for (int fd : fds) {
    ::close(fd);
  }
  auto after = readProcessStats();
  ASSERT_TRUE(during.has_value() && after.has_value());
  EXPECT_EQ(during->open_fds, before->open_fds + 5);
  EXPECT_EQ(after->open_fds, before->open_fds);
}

TEST(ProcessStats, CpuSecondsGrowWithWork) {
  auto before = readProcessStats();
  ASSERT_TRUE(before.has_value()) << before.error().message;
  // Burn CPU until the kernel's tick counter moves (10 ms at USER_HZ=100), bounded in time.
  auto deadline = Clock::real().now() + std::chrono::seconds(20);
  volatile std::uint64_t sink = 0;
  double cpu = before->cpu_seconds;
  while (cpu <= before->cpu_seconds && Clock::real().now() < deadline) {
    for (int i = 0; i < 1'000'000; ++i) {
      sink = sink + static_cast<std::uint64_t>(i);
    }
    cpu = readProcessStats()->cpu_seconds;
  }
  EXPECT_GT(cpu, before->cpu_seconds);
}

TEST(ProcessMetrics, CollectsProcessFamiliesAndBuildInfo) {
  ProcessMetrics metrics("virtlet");
  std::map<std::string, prometheus::MetricFamily> families;
  for (auto& family : metrics.Collect()) {
    families.emplace(family.name, family);
  }
  std::vector<std::string> names;
  for (const auto& [name, family] : families) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "process_cpu_seconds_total", "process_max_fds", "process_open_fds",
                       "process_resident_memory_bytes", "process_start_time_seconds",
                       "process_virtual_memory_bytes", "univirt_build_info"}));
  EXPECT_EQ(families["process_cpu_seconds_total"].type, prometheus::MetricType::Counter);
  EXPECT_EQ(families["process_open_fds"].type, prometheus::MetricType::Gauge);
  EXPECT_GT(families["process_open_fds"].metric.at(0).gauge.value, 2);

  const auto& build = families["univirt_build_info"].metric.at(0);
  EXPECT_EQ(build.gauge.value, 1);
  EXPECT_EQ(build.label,
            (std::vector<prometheus::ClientMetric::Label>{
                {"commit", kGitCommit}, {"daemon", "virtlet"}, {"version", kVersion}}));
}

}  // namespace
}  // namespace univirt::util
