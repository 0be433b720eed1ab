// The watcher against the real libvirtd (QEMU/TCG) of the `virtctl_libvirtd` fixture, for what
// libvirt's test driver cannot show: the libvirt socket closed under the watcher (through a
// relay the test cuts), devices hot-plugged into and out of a running guest, a guest reset
// (reboot event), a live memory dump (job-completed event), the guest-agent channel's state
// (agent-lifecycle event), a migration in progress, and HA starts that keep failing. Guests are
// firmware only: type qemu, 64 MiB, no NIC; each test's domain has a unique uvt- name and is
// destroyed and undefined afterwards.
//
// Other processes may use the same libvirtd at the same time, so event counters are compared
// before and after (they only grow), and refreshes are judged on this test's object.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lifecycle/request_marker.h"
#include "core/util/exec.h"
#include "integration/libvirtwatcher/socket_proxy.h"
#include "integration/libvirtwatcher/watcher_harness.h"

namespace univirt::libvirtwatcher::testing {
namespace {

using ::testing::HasSubstr;
constexpr const char* kSystemUri = "qemu:///system";
constexpr const char* kLibvirtdSocket = "/run/libvirt/libvirt-sock";

bool libvirtdAnswers() {
  return virt::Connection::open(kSystemUri, virt::OpenMode::ReadOnly).has_value();
}

class WatcherLibvirtd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/sbin/libvirtd") || !libvirtdAnswers()) {
      GTEST_SKIP() << "no libvirtd answers on qemu:///system (libvirt-daemon and "
                      "qemu-system-x86 are needed; the virtctl_libvirtd fixture starts it)";
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "univirt-lvw.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // QEMU runs as another user and must reach the disk files.
    ::chmod(dir_.c_str(), 0755);
    name_ = lowerCase(fmt::format("uvt-lvw-{}-{}",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                  getpid()));
  }

  void TearDown() override {
    harness_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void startHarness(const std::string& uri) {
    harness_ = std::make_unique<WatcherHarness>(uri, kSystemUri, WatcherHarness::defaultOptions());
    ASSERT_TRUE(harness_->start());
  }

  std::string rawDisk(const std::string& file) {
    std::string path = (dir_ / file).string();
    std::ofstream(path, std::ios::binary) << std::string(1 << 20, '\0');
    ::chmod(path.c_str(), 0644);
    return path;
  }

  // A firmware-only guest, started. `disk`: a raw file as vda, or none; `extra`: more devices.
  virt::Domain runDomain(const std::string& disk = {}, const std::string& extra = {}) {
    std::string devices = "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/>" + extra;
    if (!disk.empty()) {
      devices += fmt::format(
          "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
          "<source file='{}'/><target dev='vda' bus='virtio'/></disk>",
          disk);
    }
    const std::string xml = fmt::format(
        "<domain type='qemu'><name>{}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/><apic/></features>"
        "<devices>{}</devices></domain>",
        name_, devices);
    harness_->cleanUpDomain(name_);
    auto defined = harness_->observer().defineDomain(xml);
    EXPECT_TRUE(defined.has_value()) << defined.error().message;
    auto started = defined->start();
    EXPECT_TRUE(started.has_value()) << started.error().message;
    return std::move(*defined);
  }

  kube::Object waitPowerstate(const std::string& state) {
    return harness_->waitVm(
        name_, [&](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == state; });
  }

  double metric(const std::string& series) {
    return metricValue(scrape(harness_->watcher()), series);
  }

  std::filesystem::path dir_;
  std::string name_;
  std::unique_ptr<WatcherHarness> harness_;
};

std::string devicesOf(const kube::Object& vm) {
  if (!vm.is_object() || !vm["spec"].contains("domain")) {
    return {};
  }
  return vm["spec"]["domain"]["devices"].dump();
}

TEST_F(WatcherLibvirtd, ConnectionClosedUnderTheWatcherConvergesAfterReconnect) {
  UnixSocketProxy proxy((dir_ / "libvirt.sock").string(), kLibvirtdSocket);
  ASSERT_TRUE(proxy.start());
  ASSERT_NO_FATAL_FAILURE(
      startHarness(fmt::format("qemu+unix:///system?socket={}", (dir_ / "libvirt.sock").string())));
  virt::Domain domain = runDomain();
  harness_->createVm(name_);
  ASSERT_EQ(WatcherHarness::powerstate(waitPowerstate("Running")), "Running");
  const auto resyncs = harness_->watcher().stats().resyncs;

  proxy.cut();
  ASSERT_TRUE(eventually(
      [&] { return harness_->libvirt().status().state != virt::ConnectionState::Connected; }));
  EXPECT_FALSE(harness_->watcher().ready());
  // Changed while the watcher cannot hear it: only the resync after the reconnect can tell.
  ASSERT_TRUE(domain.suspend().has_value());
  harness_->watcher().waitIdle();
  EXPECT_EQ(WatcherHarness::powerstate(harness_->getVm(name_)), "Running");

  proxy.restore();
  kube::Object vm = waitPowerstate("Paused");
  EXPECT_EQ(WatcherHarness::powerstate(vm), "Paused") << vm.dump();
  EXPECT_GT(harness_->watcher().stats().resyncs, resyncs);
  EXPECT_GE(harness_->libvirt().status().reconnects, 1);
  // And events flow again on the new connection.
  ASSERT_TRUE(domain.resume().has_value());
  EXPECT_EQ(WatcherHarness::powerstate(waitPowerstate("Running")), "Running");
}

TEST_F(WatcherLibvirtd, HotPluggedDiskShowsInSpecDomain) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  virt::Domain domain = runDomain();
  harness_->createVm(name_);
  waitPowerstate("Running");
  const std::string extra = rawDisk("extra.img");
  const std::string disk = fmt::format(
      "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{}'/>"
      "<target dev='vdb' bus='virtio'/></disk>",
      extra);
  ASSERT_EQ(virDomainAttachDeviceFlags(domain.get(), disk.c_str(), VIR_DOMAIN_AFFECT_LIVE), 0);
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return object["spec"]["domain"]["devices"].dump().find("vdb") != std::string::npos;
  });
  EXPECT_THAT(vm["spec"]["domain"]["devices"]["disk"].dump(), HasSubstr(extra));
  EXPECT_EQ(WatcherHarness::powerstate(vm), "Running");
}

TEST_F(WatcherLibvirtd, RebootEventRefreshesTheObject) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  harness_->createVm(name_);
  virt::Domain domain = runDomain();
  waitPowerstate("Running");
  harness_->watcher().waitIdle();
  // The object goes stale behind the watcher's back; a reset changes no power state and sends
  // only reboot events, so only a refresh for the reboot event can repair it.
  kube::Object stale = harness_->getVm(name_);
  stale["spec"]["powerstate"] = "Unknown";
  ASSERT_TRUE(harness_->client().update(kVirtualMachines, stale).has_value());
  const double reboots = metric(R"(univirt_libvirtwatcher_events_total{type="Reboot"})");
  ASSERT_EQ(virDomainReset(domain.get(), 0), 0);
  kube::Object vm = waitPowerstate("Running");
  EXPECT_EQ(WatcherHarness::powerstate(vm), "Running");
  EXPECT_GT(metric(R"(univirt_libvirtwatcher_events_total{type="Reboot"})"), reboots);
}

TEST_F(WatcherLibvirtd, DeviceAddedAndRemovedEventsFollowAHotPluggedUsbDisk) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  harness_->createVm(name_);
  virt::Domain domain = runDomain();
  waitPowerstate("Running");
  const double added = metric(R"(univirt_libvirtwatcher_events_total{type="DeviceAdded"})");
  const double removed = metric(R"(univirt_libvirtwatcher_events_total{type="DeviceRemoved"})");
  // USB storage leaves without the guest's help (a virtio disk would wait for the firmware to
  // acknowledge the unplug, which a guest without an OS never does).
  const std::string disk = fmt::format(
      "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{}'/>"
      "<target dev='sdb' bus='usb'/></disk>",
      rawDisk("usb.img"));
  ASSERT_EQ(virDomainAttachDeviceFlags(domain.get(), disk.c_str(), VIR_DOMAIN_AFFECT_LIVE), 0);
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return devicesOf(object).find("\"sdb\"") != std::string::npos;
  });
  ASSERT_THAT(devicesOf(vm), HasSubstr("usb.img"));
  EXPECT_GT(metric(R"(univirt_libvirtwatcher_events_total{type="DeviceAdded"})"), added);

  ASSERT_EQ(virDomainDetachDeviceFlags(domain.get(), disk.c_str(), VIR_DOMAIN_AFFECT_LIVE), 0);
  vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return !devicesOf(object).empty() && devicesOf(object).find("\"sdb\"") == std::string::npos;
  });
  EXPECT_THAT(devicesOf(vm), ::testing::Not(HasSubstr("usb.img")));
  EXPECT_GT(metric(R"(univirt_libvirtwatcher_events_total{type="DeviceRemoved"})"), removed);
}

TEST_F(WatcherLibvirtd, JobCompletedEventOfALiveDumpIsHeard) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  harness_->createVm(name_);
  virt::Domain domain = runDomain();
  waitPowerstate("Running");
  const double jobs = metric(R"(univirt_libvirtwatcher_events_total{type="JobCompleted"})");
  // A live dump is a migration to a file: QEMU pauses the guest at the end, libvirt reports
  // the job completed and resumes it (the pause and resume are lifecycle events of their own).
  const std::string dump = (dir_ / "core.dump").string();
  ASSERT_EQ(virDomainCoreDump(domain.get(), dump.c_str(), VIR_DUMP_LIVE), 0);
  ASSERT_TRUE(eventually([&] {
    return metric(R"(univirt_libvirtwatcher_events_total{type="JobCompleted"})") > jobs;
  }));
  harness_->watcher().waitIdle();
  EXPECT_EQ(WatcherHarness::powerstate(waitPowerstate("Running")), "Running");
}

TEST_F(WatcherLibvirtd, AgentLifecycleEventShowsTheChannelStateInSpecDomain) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  harness_->createVm(name_);
  const double agent = metric(R"(univirt_libvirtwatcher_events_total{type="AgentLifecycle"})");
  // No guest agent answers in a firmware-only guest: libvirt reports the channel
  // "disconnected" when the domain starts (reason "domain started").
  runDomain({},
            "<controller type='virtio-serial' index='0'/>"
            "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>");
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return devicesOf(object).find("org.qemu.guest_agent.0") != std::string::npos &&
           devicesOf(object).find("\"disconnected\"") != std::string::npos;
  });
  EXPECT_THAT(devicesOf(vm), HasSubstr("\"_state\":\"disconnected\""));
  ASSERT_TRUE(eventually([&] {
    return metric(R"(univirt_libvirtwatcher_events_total{type="AgentLifecycle"})") > agent;
  }));
}

TEST_F(WatcherLibvirtd, DomainsBeingMigratedAreLeftAlone) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  const std::string migrating = R"(univirt_libvirtwatcher_refreshes_total{result="migrating"})";
  // §6: a pending migrateVM request...
  harness_->createVm(name_, kNode,
                     {{"spec", {{"lifecycle", {{"migrateVM", {{"ip", "127.0.0.2"}}}}}}}});
  const std::string version = kube::resourceVersionOf(harness_->getVm(name_));
  virt::Domain domain = runDomain();
  ASSERT_TRUE(eventually([&] { return metric(migrating) >= 1; }));
  harness_->watcher().waitIdle();
  kube::Object vm = harness_->getVm(name_);
  EXPECT_EQ(kube::resourceVersionOf(vm), version);
  EXPECT_FALSE(vm["spec"].contains("powerstate"));

  // ...or one virtctl has taken and is running (its marker annotation).
  lifecycle::RequestMarker marker{.operation = "migrateVM",
                                  .id = lifecycle::newRequestId(),
                                  .taken_at = "2026-11-27T12:00:00Z",
                                  .node = kNode,
                                  .request = {{"ip", "127.0.0.2"}}};
  vm["spec"].erase("lifecycle");
  vm["metadata"]["annotations"][std::string(lifecycle::kOperationAnnotation)] =
      lifecycle::encodeMarker(marker);
  auto updated = harness_->client().update(kVirtualMachines, vm);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  const double before = metric(migrating);
  ASSERT_TRUE(domain.suspend().has_value());
  ASSERT_TRUE(eventually([&] { return metric(migrating) > before; }));
  harness_->watcher().waitIdle();
  EXPECT_EQ(kube::resourceVersionOf(harness_->getVm(name_)), kube::resourceVersionOf(*updated));

  // The migration over (marker gone), the next event is written.
  kube::Object done = *updated;
  done["metadata"]["annotations"].erase(std::string(lifecycle::kOperationAnnotation));
  ASSERT_TRUE(harness_->client().update(kVirtualMachines, done).has_value());
  ASSERT_TRUE(domain.resume().has_value());
  EXPECT_EQ(WatcherHarness::powerstate(waitPowerstate("Running")), "Running");
}

TEST_F(WatcherLibvirtd, HaRestartGivesUpAfterBoundedTriesWithAWarningEvent) {
  ASSERT_NO_FATAL_FAILURE(startHarness(kSystemUri));
  const std::string disk = rawDisk("vda.img");
  virt::Domain domain = runDomain(disk);
  harness_->createVm(name_, kNode, {{"metadata", {{"labels", {{"ha", "true"}}}}}});
  waitPowerstate("Running");
  std::filesystem::remove(disk);  // every start from now on fails: the disk is gone
  ASSERT_TRUE(domain.destroy().has_value());
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().ha_failures == 1; }));
  EXPECT_EQ(harness_->watcher().stats().ha_restarts, 0);
  EXPECT_FALSE(domain.isActive().value_or(true));
  EXPECT_EQ(WatcherHarness::powerstate(harness_->getVm(name_)), "Shutdown");
  kube::Object warning;
  ASSERT_TRUE(eventually([&] {
    for (const auto& event : harness_->eventsFor(name_)) {
      if (event.value("type", "") == "Warning" && event.value("reason", "") == "Stopped") {
        warning = event;
        return true;
      }
    }
    return false;
  }));
  EXPECT_THAT(warning.value("message", ""), HasSubstr("status:Done(Failure)"));
  EXPECT_THAT(warning.value("message", ""), HasSubstr("gave up after 3 attempts"));
}

}  // namespace
}  // namespace univirt::libvirtwatcher::testing
