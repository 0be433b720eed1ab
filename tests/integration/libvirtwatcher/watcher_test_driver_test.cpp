// crd-contract.md §6 row by row, with libvirt's test driver (test:///default, in this process,
// whose events reach the watcher's connection like libvirtd's do) and a real kube-lite: each
// test changes a domain through its own libvirt connection and reads the VirtualMachine back.
// What only a real libvirtd shows (device hot-plug, a dropped socket, failing starts) is in
// watcher_libvirtd_test.cpp.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/lifecycle/request_marker.h"
#include "integration/libvirtwatcher/watcher_harness.h"

namespace univirt::libvirtwatcher::testing {
namespace {

using ::testing::HasSubstr;
constexpr const char* kUri = "test:///default";

class WatcherTestDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<WatcherHarness>(kUri, kUri, WatcherHarness::defaultOptions());
    ASSERT_TRUE(harness_->start());
    name_ = lowerCase(fmt::format("uvt-lvw-{}-{}",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                  getpid()));
  }

  void TearDown() override {
    harness_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Replaces the harness by one running with `options`.
  void restartWith(const WatcherOptions& options) {
    harness_.reset();
    harness_ = std::make_unique<WatcherHarness>(kUri, kUri, options);
    ASSERT_TRUE(harness_->start());
  }

  std::filesystem::path tempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "univirt-lvw-td.XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    return dir_;
  }

  // A persistent test-driver domain, running. `description`: its <description>, if any.
  virt::Domain runDomain(const std::string& name, const std::string& description = {}) {
    const std::string xml = fmt::format(
        "<domain type='test'><name>{}</name>{}<memory unit='KiB'>8192</memory>"
        "<vcpu>1</vcpu><os><type>hvm</type></os></domain>",
        name, description.empty() ? "" : fmt::format("<description>{}</description>", description));
    harness_->cleanUpDomain(name);
    auto defined = harness_->observer().defineDomain(xml);
    EXPECT_TRUE(defined.has_value()) << defined.error().message;
    EXPECT_TRUE(defined->start().has_value());
    return std::move(*defined);
  }

  kube::Object waitPowerstate(const std::string& state) {
    return harness_->waitVm(
        name_, [&](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == state; });
  }

  std::unique_ptr<WatcherHarness> harness_;
  std::string name_;
  std::filesystem::path dir_;
};

TEST_F(WatcherTestDriver, LifecycleEventsRefreshDomainPowerstateAndStatus) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_, kNode, {{"spec", {{"image", "centos"}}}});
  ASSERT_TRUE(domain.suspend().has_value());
  kube::Object vm = waitPowerstate("Paused");
  ASSERT_EQ(WatcherHarness::powerstate(vm), "Paused") << vm.dump();
  EXPECT_EQ(vm["spec"]["domain"]["name"]["text"], name_);
  EXPECT_EQ(vm["spec"]["domain"]["_type"], "test");
  EXPECT_EQ(vm["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Paused");
  EXPECT_EQ(vm["spec"]["status"]["conditions"]["state"]["waiting"]["message"], "The VM is Paused");
  EXPECT_EQ(vm["spec"]["nodeName"], kNode);
  EXPECT_EQ(vm["spec"]["image"], "centos");  // merged, not replaced
  EXPECT_TRUE(vm["spec"]["description"].contains("lastOperationTimeStamp"));
  EXPECT_EQ(vm["status"]["phase"], "Paused");

  ASSERT_TRUE(domain.resume().has_value());
  vm = waitPowerstate("Running");
  EXPECT_EQ(vm["status"]["phase"], "Running");
  ASSERT_TRUE(domain.destroy().has_value());
  vm = waitPowerstate("Shutdown");
  EXPECT_EQ(vm["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Shutdown");
  EXPECT_EQ(vm["status"]["phase"], "Succeeded");
}

TEST_F(WatcherTestDriver, DefinedEventRefreshesTheDomainDefinition) {
  virt::Domain domain = runDomain(name_);
  ASSERT_TRUE(domain.destroy().has_value());
  harness_->createVm(name_);
  waitPowerstate("Shutdown");
  const std::string bigger = fmt::format(
      "<domain type='test'><name>{}</name><uuid>{}</uuid><memory unit='KiB'>16384</memory>"
      "<vcpu>2</vcpu><os><type>hvm</type></os></domain>",
      name_, domain.uuid());
  ASSERT_TRUE(harness_->observer().defineDomain(bigger).has_value());
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return object["spec"]["domain"]["vcpu"].value("text", 0) == 2;
  });
  EXPECT_EQ(vm["spec"]["domain"]["vcpu"]["text"], 2) << vm.dump();
}

TEST_F(WatcherTestDriver, NeverCreatesNorDeletesVirtualMachines) {
  virt::Domain domain = runDomain(name_);
  ASSERT_TRUE(domain.suspend().has_value());
  ASSERT_TRUE(domain.destroy().has_value());
  harness_->watcher().waitIdle();
  EXPECT_TRUE(harness_->getVm(name_).is_null());  // no object appears for a bare domain

  const std::string other = name_ + "-undef";
  virt::Domain undefined = runDomain(other);
  harness_->createVm(other);
  harness_->waitVm(
      other, [](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == "Running"; });
  ASSERT_TRUE(undefined.destroy().has_value());
  ASSERT_TRUE(undefined.undefine().has_value());
  harness_->watcher().waitIdle();
  kube::Object vm = harness_->getVm(other);
  ASSERT_FALSE(vm.is_null());  // deleteVM deletes objects, the watcher never does
}

TEST_F(WatcherTestDriver, ObjectsOfOtherHostsAreNotWritten) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_, "another-node");
  harness_->watcher().waitIdle();
  const std::string version = kube::resourceVersionOf(harness_->getVm(name_));
  ASSERT_TRUE(domain.suspend().has_value());
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().skipped > 0; }));
  harness_->watcher().waitIdle();
  kube::Object vm = harness_->getVm(name_);
  EXPECT_EQ(kube::resourceVersionOf(vm), version);
  EXPECT_FALSE(vm["spec"].contains("powerstate"));
}

TEST_F(WatcherTestDriver, DomainsBeingMigratedAreNotWritten) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_, kNode,
                     {{"spec", {{"lifecycle", {{"migrateVM", {{"ip", "10.1.1.1"}}}}}}}});
  harness_->watcher().waitIdle();
  const std::string version = kube::resourceVersionOf(harness_->getVm(name_));
  const auto skipped = harness_->watcher().stats().skipped;
  ASSERT_TRUE(domain.suspend().has_value());
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().skipped > skipped; }));
  harness_->watcher().waitIdle();
  kube::Object vm = harness_->getVm(name_);
  EXPECT_EQ(kube::resourceVersionOf(vm), version);
  EXPECT_TRUE(vm["spec"].contains("lifecycle"));  // virtctl's request is left to virtctl
}

TEST_F(WatcherTestDriver, APendingRequestIsKeptWhileTheStateIsRefreshed) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_, kNode,
                     {{"spec", {{"lifecycle", {{"resumeVM", nlohmann::json::object()}}}}}});
  ASSERT_TRUE(domain.suspend().has_value());
  kube::Object vm = waitPowerstate("Paused");
  EXPECT_EQ(vm["spec"]["lifecycle"], nlohmann::json({{"resumeVM", nlohmann::json::object()}}));
}

TEST_F(WatcherTestDriver, HundredEventsForOneDomainBecomeAFewWrites) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_);
  waitPowerstate("Running");
  harness_->watcher().waitIdle();
  const WatcherStats before = harness_->watcher().stats();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(domain.suspend().has_value());
    ASSERT_TRUE(domain.resume().has_value());
  }
  ASSERT_TRUE(domain.suspend().has_value());  // the last state must win
  ASSERT_TRUE(
      eventually([&] { return harness_->watcher().stats().events >= before.events + 101; }));
  kube::Object vm = waitPowerstate("Paused");
  harness_->watcher().waitIdle();
  const WatcherStats after = harness_->watcher().stats();
  EXPECT_EQ(WatcherHarness::powerstate(vm), "Paused");
  EXPECT_LE(after.writes - before.writes, 5) << "writes for 101 events";
  EXPECT_GE(after.writes - before.writes, 1);
}

TEST_F(WatcherTestDriver, HaLabelRestartsADomainThatStoppedUnexpectedly) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_, kNode, {{"metadata", {{"labels", {{"ha", ""}}}}}});
  waitPowerstate("Running");
  ASSERT_TRUE(domain.destroy().has_value());
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().ha_restarts == 1; }));
  EXPECT_TRUE(domain.isActive().value_or(false));
  waitPowerstate("Running");
  std::vector<std::string> notes;
  ASSERT_TRUE(eventually([&] {
    notes.clear();
    for (const auto& event : harness_->eventsFor(name_)) {
      if (event.value("reason", "") == "Stopped") {
        notes.push_back(event.value("message", ""));
      }
    }
    return notes.size() >= 2;
  }));
  EXPECT_THAT(notes,
              ::testing::Contains(HasSubstr("operation:startVMbyHA, status:Doing(Success)")));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("operation:startVMbyHA, status:Done(Success)")));
}

TEST_F(WatcherTestDriver, NoHaRestartWithoutTheLabelOrAfterAStopRequest) {
  virt::Domain plain = runDomain(name_);
  harness_->createVm(name_);
  const std::string requested = name_ + "-stopvm";
  virt::Domain stopped = runDomain(requested);
  harness_->createVm(
      requested, kNode,
      {{"metadata", {{"labels", {{"ha", ""}}}}},
       {"status", {{"lastOperation", {{"name", "stopVM"}, {"phase", "Succeeded"}}}}}});
  waitPowerstate("Running");
  harness_->waitVm(requested, [](const kube::Object& vm) {
    return WatcherHarness::powerstate(vm) == "Running";
  });
  ASSERT_TRUE(plain.destroy().has_value());
  ASSERT_TRUE(stopped.shutdown().has_value());
  waitPowerstate("Shutdown");
  harness_->waitVm(requested, [](const kube::Object& vm) {
    return WatcherHarness::powerstate(vm) == "Shutdown";
  });
  harness_->watcher().waitIdle();
  EXPECT_FALSE(plain.isActive().value_or(true));
  EXPECT_FALSE(stopped.isActive().value_or(true));
  EXPECT_EQ(harness_->watcher().stats().ha_restarts, 0);
  EXPECT_TRUE(harness_->eventsFor(name_).empty());
}

TEST_F(WatcherTestDriver, ResubscribesAndResyncsAfterTheConnectionIsLost) {
  virt::Domain domain = runDomain(name_);
  harness_->createVm(name_);
  waitPowerstate("Running");
  const auto resyncs = harness_->watcher().stats().resyncs;
  auto connection = harness_->libvirt().connection();
  ASSERT_TRUE(connection.has_value());
  harness_->libvirt().markLost(**connection, util::Error{util::ErrorCode::Unavailable, "test"});
  connection->reset();
  ASSERT_TRUE(eventually([&] {
    return harness_->watcher().stats().resyncs > resyncs && harness_->watcher().ready();
  }));
  ASSERT_TRUE(domain.suspend().has_value());  // events arrive on the new subscription
  EXPECT_EQ(WatcherHarness::powerstate(waitPowerstate("Paused")), "Paused");
  EXPECT_EQ(harness_->watcher().stats().reconnects, 1);
  EXPECT_EQ(metricValue(scrape(harness_->watcher()), "univirt_libvirtwatcher_reconnects_total"), 1);
}

TEST_F(WatcherTestDriver, StartupResyncWritesTheStateOfExistingDomains) {
  harness_->stopWatcher();
  const std::string name = name_ + "-late";
  virt::Domain domain = runDomain(name);
  ASSERT_TRUE(domain.suspend().has_value());
  harness_->createVm(name);
  // A second watcher on the same connection, started after the change: only its resync can
  // have written this.
  WatcherOptions options = WatcherHarness::defaultOptions();
  options.sync.namespace_name = harness_->ns();
  options.sync.home_namespace = harness_->ns();
  DomainWatcher late(harness_->daemonClient(), harness_->libvirt(), options);
  late.start();
  kube::Object vm = harness_->waitVm(name, [](const kube::Object& object) {
    return WatcherHarness::powerstate(object) == "Paused";
  });
  EXPECT_EQ(WatcherHarness::powerstate(vm), "Paused");
  EXPECT_EQ(late.stats().resyncs, 1);
  late.stop();
}

TEST_F(WatcherTestDriver, MetricsCountEventsWritesCoalescedEventsAndLatency) {
  harness_->createVm(name_);
  virt::Domain domain = runDomain(name_);
  waitPowerstate("Running");
  harness_->watcher().waitIdle();
  const std::string before = scrape(harness_->watcher());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(domain.suspend().has_value());
    ASSERT_TRUE(domain.resume().has_value());
  }
  ASSERT_TRUE(domain.suspend().has_value());
  waitPowerstate("Paused");
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().events >= 23; }));
  harness_->watcher().waitIdle();
  const std::string after = scrape(harness_->watcher());
  const auto grew = [&](const std::string& series) {
    return metricValue(after, series) - metricValue(before, series);
  };
  EXPECT_EQ(grew(R"(univirt_libvirtwatcher_events_total{type="Suspended"})"), 11) << after;
  EXPECT_EQ(grew(R"(univirt_libvirtwatcher_events_total{type="Resumed"})"), 10);
  const WatcherStats stats = harness_->watcher().stats();
  EXPECT_GE(
      metricValue(after, R"(univirt_libvirtwatcher_writes_total{resource="virtualmachines"})"),
      2);  // Running, then Paused
  EXPECT_EQ(
      metricValue(after, R"(univirt_libvirtwatcher_writes_total{resource="virtualmachines"})"),
      static_cast<double>(stats.writes));
  // 21 events in a few refreshes: most joined another event's refresh.
  EXPECT_GE(grew("univirt_libvirtwatcher_coalesced_events_total"), 10);
  EXPECT_EQ(metricValue(after, "univirt_libvirtwatcher_coalesced_events_total"),
            static_cast<double>(stats.coalesced));
  // Every write caused by an event is timed, never faster than the coalescing window.
  EXPECT_GE(metricValue(after, "univirt_libvirtwatcher_event_to_write_seconds_count"), 2);
  EXPECT_EQ(
      metricValue(after, R"(univirt_libvirtwatcher_event_to_write_seconds_bucket{le="0.025"})"), 0);
  EXPECT_EQ(metricValue(after, "univirt_libvirtwatcher_resyncs_total"), 1);
}

TEST_F(WatcherTestDriver, UndefinedDomainsDeviceFilesMoveOutOfTheDevicesDirectory) {
  const std::filesystem::path dir = tempDir();
  WatcherOptions options = WatcherHarness::defaultOptions();
  options.sync.devices_dir = (dir / "devices").string();
  options.sync.undefined_devices_dir = (dir / "tmp").string();
  ASSERT_NO_FATAL_FAILURE(restartWith(options));
  std::filesystem::create_directories(dir / "devices");
  const std::string disk = name_ + "-disk-vda.xml";
  const std::string nic = name_ + "-nic-52:54:00:00:00:01.cfg";
  const std::string other = name_ + "-2-disk-vda.xml";  // domain <name>-2's
  for (const std::string& file : {disk, nic, other}) {
    std::ofstream(dir / "devices" / file) << "switch=s1\n";
  }
  virt::Domain domain = runDomain(name_);
  ASSERT_TRUE(domain.destroy().has_value());
  harness_->watcher().waitIdle();
  EXPECT_TRUE(std::filesystem::exists(dir / "devices" / disk));  // stopped is not undefined

  ASSERT_TRUE(domain.undefine().has_value());
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().device_files_moved == 2; }));
  EXPECT_TRUE(std::filesystem::exists(dir / "tmp" / disk));
  EXPECT_TRUE(std::filesystem::exists(dir / "tmp" / nic));
  EXPECT_FALSE(std::filesystem::exists(dir / "devices" / disk));
  EXPECT_FALSE(std::filesystem::exists(dir / "devices" / nic));
  EXPECT_TRUE(std::filesystem::exists(dir / "devices" / other));
  EXPECT_EQ(
      metricValue(scrape(harness_->watcher()), "univirt_libvirtwatcher_device_files_moved_total"),
      2);
}

TEST_F(WatcherTestDriver, ARefreshTheApiServerRefusesIsReportedAsVirtletError) {
  harness_->createVm(name_);
  // kube-lite, like kube-apiserver, takes request bodies of up to 3 MiB: a domain whose
  // description is larger cannot be written into .spec.domain.
  virt::Domain domain = runDomain(name_, std::string(std::size_t{3} << 20, 'x'));
  static const nlohmann::json::json_pointer kWaiting("/spec/status/conditions/state/waiting");
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return object.value(kWaiting, nlohmann::json::object()).value("reason", "") == "VirtletError";
  });
  const nlohmann::json waiting = vm.value(kWaiting, nlohmann::json::object());
  ASSERT_EQ(waiting.value("reason", ""), "VirtletError") << vm.dump().substr(0, 2000);
  EXPECT_THAT(waiting.value("message", ""), HasSubstr("could not be refreshed from domain"));
  EXPECT_FALSE(vm["spec"].contains("domain"));
  kube::Object warning;
  ASSERT_TRUE(eventually([&] {
    for (const auto& event : harness_->eventsFor(name_)) {
      if (event.value("type", "") == "Warning" && event.value("reason", "") == "VirtletError") {
        warning = event;
        return true;
      }
    }
    return false;
  }));
  EXPECT_THAT(warning.value("message", ""), HasSubstr(name_));
  // The counter moves after the status and the Event are written: wait for it too.
  EXPECT_TRUE(eventually([&] { return harness_->watcher().stats().failed >= 1; }))
      << "failed refreshes: " << harness_->watcher().stats().failed;

  // Once the domain can be written again, the next event replaces the error by its state (the
  // live definition keeps the description until the domain stops).
  ASSERT_TRUE(domain.destroy().has_value());
  const std::string small = fmt::format(
      "<domain type='test'><name>{}</name><uuid>{}</uuid><memory unit='KiB'>8192</memory>"
      "<vcpu>1</vcpu><os><type>hvm</type></os></domain>",
      name_, domain.uuid());
  ASSERT_TRUE(harness_->observer().defineDomain(small).has_value());
  vm = waitPowerstate("Shutdown");
  EXPECT_EQ(vm["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Shutdown");
  EXPECT_EQ(vm["spec"]["domain"]["name"]["text"], name_);
}

}  // namespace
}  // namespace univirt::libvirtwatcher::testing
