// virtmonitor against a real libvirtd (QEMU/TCG, the shared `virtctl_libvirtd` fixture) with a
// running firmware-only guest: the one bulk call's numbers against libvirt's own per-domain
// calls, through the read-only socket, and the upstream family's rates against two samples.
// (The test driver's bulk call reports only the state group, so values need this tier.)

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <signal.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "core/virt/connection.h"
#include "virtmonitor/domain_stats.h"
#include "virtmonitor/exporter.h"
#include "virtmonitor/families.h"

namespace univirt::virtmonitor {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kSystemUri = "qemu:///system";

bool installed() {
  return std::filesystem::exists("/usr/sbin/libvirtd") &&
         util::runProgram({"qemu-system-x86_64", "--version"}).has_value();
}

const DomainStats* findStats(const std::vector<DomainStats>& all, const std::string& name) {
  for (const DomainStats& stats : all) {
    if (stats.name == name) {
      return &stats;
    }
  }
  return nullptr;
}

double blockField(const DomainStats& stats, std::string_view name) {
  for (const DeviceStats& block : stats.blocks) {
    if (block.name == "vda") {
      return field(block.fields, name).value_or(-1);
    }
  }
  return -1;
}

class VirtmonitorLibvirtd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!installed()) {
      GTEST_SKIP() << "libvirt-daemon and qemu-system-x86 are not installed";
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "uvt-vmon.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::filesystem::permissions(dir_, std::filesystem::perms(0755));  // QEMU runs as libvirt-qemu
    const std::string disk = dir_ + "/disk.qcow2";
    auto created = util::runProgram({"qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"});
    ASSERT_TRUE(created && created->succeeded());
    std::filesystem::permissions(disk, std::filesystem::perms(0666));

    auto admin = virt::Connection::open(kSystemUri);
    ASSERT_TRUE(admin.has_value()) << admin.error().message;
    admin_ = std::make_unique<virt::Connection>(std::move(*admin));
    auto reader = virt::Connection::open(kSystemUri, virt::OpenMode::ReadOnly);
    ASSERT_TRUE(reader.has_value()) << reader.error().message;
    reader_ = std::make_shared<virt::Connection>(std::move(*reader));

    name_ = fmt::format("uvt-vmon-{}", ::getpid());
    // Firmware only (no OS, no NIC): SeaBIOS reads the blank disk and spins, which is enough for
    // CPU time, block statistics and the balloon.
    auto domain = admin_->defineDomain(fmt::format(
        "<domain type='qemu'><name>{}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>"
        "<features><acpi/><apic/></features><devices>"
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        "<source file='{}'/><target dev='vda' bus='virtio'/></disk>"
        "<memballoon model='virtio'><stats period='1'/></memballoon>"
        "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/></devices></domain>",
        name_, disk));
    ASSERT_TRUE(domain.has_value()) << domain.error().message;
    ASSERT_TRUE(domain->start().has_value());
  }
  void TearDown() override {
    if (admin_) {
      if (auto domain = admin_->lookupDomain(name_); domain.has_value()) {
        static_cast<void>(domain->destroy());
        static_cast<void>(domain->undefine());
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  DomainStats collect() {
    auto all = collectDomainStats(*reader_);
    EXPECT_TRUE(all.has_value()) << all.error().message;
    if (!all.has_value()) {
      return {};
    }
    const DomainStats* mine = findStats(*all, name_);
    EXPECT_NE(mine, nullptr);
    return mine != nullptr ? *mine : DomainStats{};
  }

  // Polls the bulk call every 50 ms (at most 30 s) until `ready` holds for the guest.
  DomainStats collectUntil(const std::function<bool(const DomainStats&)>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    DomainStats stats = collect();
    while (!ready(stats) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      stats = collect();
    }
    return stats;
  }
  // ... until the guest has used more CPU than `than` (ns).
  DomainStats collectAfterCpu(double than) {
    return collectUntil([than](const DomainStats& stats) {
      return field(stats.fields, "cpu.time").value_or(0) > than;
    });
  }

  std::string dir_;
  std::string name_;
  std::unique_ptr<virt::Connection> admin_;
  std::shared_ptr<virt::Connection> reader_;
};

TEST_F(VirtmonitorLibvirtd, BulkValuesAgreeWithLibvirtsPerDomainCalls) {
  // Once the firmware has read the boot sector, every counter has moved.
  const DomainStats before = collectUntil([](const DomainStats& stats) {
    return field(stats.fields, "cpu.time").value_or(0) > 0 && blockField(stats, "rd.reqs") > 0;
  });
  auto domain = admin_->lookupDomain(name_);
  ASSERT_TRUE(domain.has_value());
  virDomainInfo info{};
  ASSERT_EQ(virDomainGetInfo(domain->get(), &info), 0);
  // cpu.time is the cgroup's CPU time, which virDomainGetCPUStats reports too (GetInfo's
  // cpuTime comes from /proc in 10 ms ticks: a different, coarser clock).
  std::array<virTypedParameter, 4> cpu{};
  ASSERT_GE(virDomainGetCPUStats(domain->get(), cpu.data(), cpu.size(), -1, 1, 0), 1);
  unsigned long long cpu_time = 0;
  ASSERT_EQ(
      virTypedParamsGetULLong(cpu.data(), cpu.size(), VIR_DOMAIN_CPU_STATS_CPUTIME, &cpu_time), 1);
  virDomainBlockStatsStruct block{};
  ASSERT_EQ(virDomainBlockStats(domain->get(), "vda", &block, sizeof(block)), 0);
  virDomainBlockInfo block_info{};
  ASSERT_EQ(virDomainGetBlockInfo(domain->get(), "vda", &block_info, 0), 0);
  virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR]{};
  const int memory_count =
      virDomainMemoryStats(domain->get(), memory, VIR_DOMAIN_MEMORY_STAT_NR, 0);
  ASSERT_GT(memory_count, 0);
  const DomainStats after = collectAfterCpu(static_cast<double>(cpu_time));

  EXPECT_EQ(before.state, VIR_DOMAIN_RUNNING);
  EXPECT_FALSE(before.timed_out);
  // Counters: libvirt's own reading lies between the two bulk readings around it.
  EXPECT_LE(field(before.fields, "cpu.time").value_or(-1), static_cast<double>(cpu_time));
  EXPECT_GE(field(after.fields, "cpu.time").value_or(-1), static_cast<double>(cpu_time));
  EXPECT_LE(blockField(before, "rd.reqs"), static_cast<double>(block.rd_req));
  EXPECT_GE(blockField(after, "rd.reqs"), static_cast<double>(block.rd_req));
  EXPECT_GT(blockField(after, "rd.reqs"), 0);
  EXPECT_LE(blockField(before, "rd.bytes"), static_cast<double>(block.rd_bytes));
  EXPECT_GE(blockField(after, "rd.bytes"), static_cast<double>(block.rd_bytes));
  // Sizes and configuration: equal.
  EXPECT_EQ(blockField(after, "capacity"), static_cast<double>(block_info.capacity));
  EXPECT_EQ(field(after.fields, "balloon.maximum"), static_cast<double>(info.maxMem));
  for (int i = 0; i < memory_count; ++i) {
    if (memory[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
      EXPECT_EQ(field(after.fields, "balloon.current"), static_cast<double>(memory[i].val));
    }
  }
  EXPECT_EQ(field(after.fields, "vcpu.current"), 1);
  ASSERT_EQ(after.vcpus.size(), 1U);
  EXPECT_GT(field(after.vcpus[0].fields, "time").value_or(0), 0);
}

TEST_F(VirtmonitorLibvirtd, UpstreamRatesAreTheDifferenceOfTwoSamplesOverTheirInterval) {
  Snapshot first;
  first.taken = std::chrono::steady_clock::now();
  first.domains = {collectAfterCpu(0)};
  const double first_vcpu = field(first.domains[0].vcpus.at(0).fields, "time").value_or(0);
  Snapshot second;
  second.domains = {collectAfterCpu(field(first.domains[0].fields, "cpu.time").value_or(0) + 2e8)};
  second.taken = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(second.taken - first.taken).count();
  const double second_vcpu = field(second.domains[0].vcpus.at(0).fields, "time").value_or(0);
  ASSERT_GT(second_vcpu, first_vcpu);

  const Owners owners;
  const RenderContext context{
      .node = "n", .zone = "z", .current = second, .previous = &first, .owners = owners};
  const std::string text = renderText(renderFamilies({Family::Upstream}, context));
  const double busy = std::clamp((second_vcpu - first_vcpu) / (seconds * 1e9), 0.0, 1.0);
  const std::string labels = fmt::format(
      "zone=\"z\",host=\"n\",vm=\"{}\",owner=\"\",router=\"\",autoscalinggroup=\"\",cluster=\"\"",
      name_);
  EXPECT_THAT(text, HasSubstr(fmt::format("vm_cpu_idle_rate{{{}}} {}\n", labels,
                                          formatValue(std::round((1 - busy) * 100) / 100))));
  const double reads =
      (blockField(second.domains[0], "rd.reqs") - blockField(first.domains[0], "rd.reqs")) /
      seconds;
  EXPECT_THAT(text,
              HasSubstr(fmt::format("vm_disk_read_requests_per_secend{{{},device=\"vda\"}} {}\n",
                                    labels, formatValue(reads))));
}

TEST_F(VirtmonitorLibvirtd, ADomainWhoseJobIsHeldIsReportedTimedOutWithoutStallingTheCall) {
  ASSERT_GT(field(collectAfterCpu(0).fields, "cpu.time").value_or(0), 0);
  auto domain = admin_->lookupDomain(name_);
  ASSERT_TRUE(domain.has_value());
  pid_t qemu = 0;
  std::ifstream(fmt::format("/run/libvirt/qemu/{}.pid", name_)) >> qemu;
  ASSERT_GT(qemu, 1);
  // A QEMU that stops answering its monitor: the next monitor command holds the domain's job
  // until QEMU runs again.
  ASSERT_EQ(::kill(qemu, SIGSTOP), 0);
  std::thread holder([&] {
    virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR]{};
    static_cast<void>(virDomainMemoryStats(domain->get(), memory, VIR_DOMAIN_MEMORY_STAT_NR, 0));
  });
  // Resumes QEMU and waits for the holder however the test ends.
  struct Join {
    std::thread& thread;
    pid_t pid;
    ~Join() {
      ::kill(pid, SIGCONT);
      thread.join();
    }
  } join{holder, qemu};
  // virDomainGetControlInfo needs no job: it says when a monitor command is in flight.
  bool occupied = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!occupied && std::chrono::steady_clock::now() < deadline) {
    virDomainControlInfo control{};
    occupied = virDomainGetControlInfo(domain->get(), &control, 0) == 0 &&
               control.state == VIR_DOMAIN_CONTROL_OCCUPIED;
    if (!occupied) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(occupied) << "the memory-stats call never reached the monitor";

  const auto started = std::chrono::steady_clock::now();
  const DomainStats stuck = collect();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 5s) << "the bulk call waited for the held job";
  EXPECT_EQ(stuck.state, VIR_DOMAIN_RUNNING);
  EXPECT_TRUE(stuck.timed_out);
  EXPECT_EQ(blockField(stuck, "rd.reqs"), -1);                // job-bound: left out
  EXPECT_GT(field(stuck.fields, "cpu.time").value_or(0), 0);  // no job needed: still there
}

TEST_F(VirtmonitorLibvirtd, ExporterReadsThroughTheReadOnlySocket) {
  Exporter exporter(ExporterOptions{.node = "n"},
                    [this]() -> util::Result<std::shared_ptr<virt::Connection>> { return reader_; },
                    {});
  ASSERT_TRUE(exporter.refresh().has_value());
  const std::string body = exporter.body();
  EXPECT_THAT(body, HasSubstr(fmt::format("univirt_domain_info_vstate{{domain=\"{}\"", name_)));
  EXPECT_THAT(body, HasSubstr(fmt::format(
                        "univirt_domain_block_stats_capacity_bytes{{domain=\"{}\"", name_)));
  EXPECT_THAT(body, HasSubstr("univirt_virtmonitor_up 1\n"));
  // The read-only connection really is read-only.
  auto write = reader_->defineDomain("<domain type='qemu'><name>x</name></domain>");
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().code, util::ErrorCode::PermissionDenied);
}

}  // namespace
}  // namespace univirt::virtmonitor
