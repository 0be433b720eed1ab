// libvirtwatcher's OVN side (crd-contract.md §6 steps 3-4, ovn_port_sync.h) against real
// components: libvirt's test driver in this process (its events reach the watcher), a real
// kube-lite, and a real OVN northbound ovsdb-server on a unix socket in a temp dir. The NIC
// binding is made the way virtctl makes it (ovnctl::VmNetwork); each test then changes the domain
// and reads the northbound database back with ovn-nbctl.

#include <memory>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "integration/libvirtwatcher/watcher_harness.h"
#include "integration/ovnctl/ovsdb_server.h"
#include "ovnctl/vm_ports.h"

namespace univirt::libvirtwatcher::testing {
namespace {

using ovnctl::testing::kNorthboundSchema;
using ovnctl::testing::OvsdbServer;
using ::testing::HasSubstr;
constexpr const char* kUri = "test:///default";
constexpr const char* kMac = "52:54:00:0b:00:01";
constexpr const char* kRecordKey = "univirt-vm-nic-5254000b0001";

class WatcherOvn : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nb = OvsdbServer::start(kNorthboundSchema);
    ASSERT_TRUE(nb.has_value()) << nb.error().message;
    nb_ = std::move(*nb);
    nb_->nbctl({"ls-add", "sw1"});
    nb_->nbctl({"set", "Logical_Switch", "sw1", "other_config:subnet=10.0.0.0/24"});
    // OVN names (the domain is part of the port's) are at most 64 characters.
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    name_ = lowerCase(fmt::format("uvt-ovn-{}-{}", test.substr(0, 30), getpid()));
  }

  void TearDown() override { harness_.reset(); }

  WatcherOptions ovnOptions(const std::string& northbound) const {
    WatcherOptions options = WatcherHarness::defaultOptions();
    options.sync.ovn_northbound = northbound;
    return options;
  }

  // A new harness (and namespace) with the VirtualMachine of the domain in it, then started:
  // its first resync finds the object.
  void startWatcher(const WatcherOptions& options) {
    harness_.reset();
    harness_ = std::make_unique<WatcherHarness>(kUri, kUri, options);
    harness_->createVm(name_);
    ASSERT_TRUE(harness_->start());
  }

  // What virtctl's plugNIC / createAndStartVMFromISO records for an l3bridge NIC.
  void bindNic() {
    auto network = ovnctl::VmNetwork::open(nb_->endpoint(), "");
    ASSERT_TRUE(network.has_value()) << network.error().message;
    auto bound = network->bind({.domain = name_,
                                .type = "l3bridge",
                                .switch_name = "sw1",
                                .ip = "10.0.0.30",
                                .mac = kMac});
    ASSERT_TRUE(bound.has_value()) << bound.error().message;
  }

  // A persistent test-driver domain, running; removed with the harness unless `keep` (a
  // watcher restart must not stop it).
  virt::Domain runDomain(bool keep = false) {
    const std::string xml = fmt::format(
        "<domain type='test'><name>{}</name><memory unit='KiB'>8192</memory>"
        "<vcpu>1</vcpu><os><type>hvm</type></os></domain>",
        name_);
    if (!keep) {
      harness_->cleanUpDomain(name_);
    }
    auto defined = harness_->observer().defineDomain(xml);
    EXPECT_TRUE(defined.has_value()) << defined.error().message;
    EXPECT_TRUE(defined->start().has_value());
    return std::move(*defined);
  }

  // The names of the logical switch ports univirt recorded for kMac.
  std::string portsOfMac() const {
    return nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                       fmt::format("external_ids:univirt-mac=\"{}\"", kMac)});
  }
  std::string record() const {
    std::string out;
    nb_->tryRun({"ovn-nbctl", "--db=" + nb_->endpoint(), "get", "Logical_Switch", "sw1",
                 fmt::format("external_ids:{}", kRecordKey)},
                &out);
    return out;
  }

  std::unique_ptr<OvsdbServer> nb_;
  std::unique_ptr<WatcherHarness> harness_;
  std::string name_;
};

TEST_F(WatcherOvn, StopDetachesThePortKeepsTheRecordAndStartBindsItAgain) {
  ASSERT_NO_FATAL_FAILURE(startWatcher(ovnOptions(nb_->endpoint())));
  ASSERT_NO_FATAL_FAILURE(bindNic());
  const std::string port = fmt::format("{}-5254000b0001", name_);
  ASSERT_EQ(portsOfMac(), port);
  virt::Domain domain = runDomain();
  harness_->waitVm(
      name_, [](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == "Running"; });

  ASSERT_TRUE(domain.destroy().has_value());
  ASSERT_TRUE(eventually([&] { return portsOfMac().empty(); })) << portsOfMac();
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}), "");
  EXPECT_THAT(record(), HasSubstr(fmt::format("{} 10.0.0.30", name_)));
  EXPECT_EQ(harness_->watcher().stats().ovn.detached, 1);

  // The port was removed while the VM was down; the start brings it back, as it was.
  ASSERT_TRUE(domain.start().has_value());
  ASSERT_TRUE(eventually([&] { return portsOfMac() == port; })) << portsOfMac();
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", port, "addresses"}),
            "[\"52:54:00:0b:00:01 10.0.0.30\"]");
  EXPECT_EQ(harness_->watcher().stats().ovn.failures, 0);
}

TEST_F(WatcherOvn, ARestartedWatcherNeitherDuplicatesNorLosesABinding) {
  ASSERT_NO_FATAL_FAILURE(startWatcher(ovnOptions(nb_->endpoint())));
  ASSERT_NO_FATAL_FAILURE(bindNic());
  virt::Domain domain = runDomain(/*keep=*/true);
  harness_->waitVm(
      name_, [](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == "Running"; });
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().ovn.bound >= 1; }));
  harness_->watcher().waitIdle();
  const std::string port = portsOfMac();
  ASSERT_FALSE(port.empty());
  const std::string before = nb_->dump();

  // A restart resyncs every domain: the running one is bound again, which changes nothing.
  ASSERT_NO_FATAL_FAILURE(startWatcher(ovnOptions(nb_->endpoint())));
  ASSERT_TRUE(eventually([&] { return harness_->watcher().stats().ovn.bound >= 1; }));
  harness_->watcher().waitIdle();
  EXPECT_EQ(nb_->dump(), before);
  EXPECT_EQ(portsOfMac(), port);

  // The port gone behind the watcher's back (an operator's lsp-del): the next restart's resync
  // binds it again from the switch's record, once.
  harness_.reset();
  nb_->nbctl({"lsp-del", port});
  ASSERT_EQ(portsOfMac(), "");
  ASSERT_NO_FATAL_FAILURE(startWatcher(ovnOptions(nb_->endpoint())));
  harness_->cleanUpDomain(name_);
  ASSERT_TRUE(eventually([&] { return portsOfMac() == port; })) << portsOfMac();
  harness_->watcher().waitIdle();
  const std::string ports = nb_->nbctl({"lsp-list", "sw1"});
  EXPECT_THAT(ports, HasSubstr(fmt::format("({})", port)));
  EXPECT_EQ(ports.find('\n'), std::string::npos) << ports;
  EXPECT_EQ(harness_->watcher().stats().ovn.failures, 0);
}

TEST_F(WatcherOvn, AnUnreachableNorthboundIsAnEventNotAFailedRefresh) {
  const std::string missing = "unix:" + (nb_->dir() / "missing.sock").string();
  ASSERT_NO_FATAL_FAILURE(startWatcher(ovnOptions(missing)));
  runDomain();
  kube::Object vm = harness_->waitVm(name_, [](const kube::Object& object) {
    return WatcherHarness::powerstate(object) == "Running";
  });
  EXPECT_EQ(vm["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Running");
  ASSERT_TRUE(eventually([&] {
    for (const auto& event : harness_->eventsFor(name_)) {
      if (event.value("reason", "") == "VirtletError" &&
          event.value("message", "").find("OVN") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  EXPECT_GE(harness_->watcher().stats().ovn.failures, 1);
}

TEST_F(WatcherOvn, WithoutANorthboundNothingIsTouched) {
  ASSERT_NO_FATAL_FAILURE(bindNic());
  const std::string before = nb_->dump();
  ASSERT_NO_FATAL_FAILURE(startWatcher(WatcherHarness::defaultOptions()));
  virt::Domain domain = runDomain();
  harness_->waitVm(
      name_, [](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == "Running"; });
  ASSERT_TRUE(domain.destroy().has_value());
  harness_->waitVm(
      name_, [](const kube::Object& vm) { return WatcherHarness::powerstate(vm) == "Shutdown"; });
  harness_->watcher().waitIdle();
  EXPECT_EQ(nb_->dump(), before);
  EXPECT_EQ(harness_->watcher().stats().ovn.bound, 0);
}

}  // namespace
}  // namespace univirt::libvirtwatcher::testing
