// migrateVM between two real libvirtds, each in its own network namespace
// (migration_two_nodes.sh starts them and runs this binary inside the first one). The request
// goes through the operation table and handler as the engine runs it; the outcome is checked on
// both nodes through their own connections.

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/virt/connection.h"
#include "core/virt/handles.h"
#include "integration/virtctl/vm_harness.h"

namespace univirt::virtctl::testing {
namespace {

using ::testing::HasSubstr;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

class TwoNodeMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    source_uri_ = environment("UNIVIRT_MIGRATION_SOURCE_URI");
    target_ip_ = environment("UNIVIRT_MIGRATION_TARGET_IP");
    if (source_uri_.empty() || target_ip_.empty()) {
      GTEST_SKIP() << "run through migration_two_nodes.sh, which starts the two nodes";
    }
    VmNodeSettings settings = VmHarness::defaultSettings();
    settings.migration_connect_uri = "qemu+tcp://{}/system";
    settings.migration_data_uri = "tcp://{}";
    harness_ = std::make_unique<VmHarness>(source_uri_, settings);
    auto target = virt::Connection::open(fmt::format("qemu+tcp://{}/system", target_ip_));
    ASSERT_TRUE(target) << target.error().message;
    target_ = std::make_unique<virt::Connection>(std::move(*target));
    name_ = fmt::format("uvt-mig-{}-{}",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    harness_->cleanUpDomain(name_);
  }

  void TearDown() override {
    if (target_ == nullptr) {
      return;
    }
    virt::DomainHandle domain(virDomainLookupByName(target_->get(), name_.c_str()));
    if (domain) {
      virDomainDestroy(domain.get());
      virDomainUndefine(domain.get());
    }
  }

  // A firmware-only guest whose disk both nodes see at the same path. libvirt trusts only
  // network and cluster file systems (NFS, CephFS, RBD, GlusterFS ...) to be shared and refuses
  // to live-migrate a writable disk on a local one (/tmp here) as unsafe; a read-only disk is
  // safe anywhere, so the guest gets one.
  void createVm() {
    auto outcome = harness_->run("createAndStartVMFromISO", name_,
                                 {{"virt_type", "qemu"},
                                  {"memory", "128"},
                                  {"vcpus", "1"},
                                  {"disk", "path=" + harness_->path(name_ + ".img") +
                                               ",size=0.0625,format=raw,cache=none,readonly=on"},
                                  {"graphics", "vnc,listen=127.0.0.1"},
                                  {"noautoconsole", true}});
    ASSERT_TRUE(outcome) << outcome.error().message;
  }

  static bool onNode(virt::Connection& node, const std::string& name) {
    virt::DomainHandle domain(virDomainLookupByName(node.get(), name.c_str()));
    return static_cast<bool>(domain);
  }
  int targetState() {
    virt::DomainHandle domain(virDomainLookupByName(target_->get(), name_.c_str()));
    int state = VIR_DOMAIN_NOSTATE;
    int reason = 0;
    if (!domain || virDomainGetState(domain.get(), &state, &reason, 0) < 0) {
      return -1;
    }
    return state;
  }
  bool targetPersistent() {
    virt::DomainHandle domain(virDomainLookupByName(target_->get(), name_.c_str()));
    return domain && virDomainIsPersistent(domain.get()) == 1;
  }

  std::string source_uri_;
  std::string target_ip_;
  std::unique_ptr<VmHarness> harness_;
  std::unique_ptr<virt::Connection> target_;
  std::string name_;
};

TEST_F(TwoNodeMigration, LiveMigrationMovesTheRunningGuestToTheOtherNode) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  ASSERT_FALSE(onNode(*target_, name_));

  auto outcome = harness_->run("migrateVM", name_, {{"ip", target_ip_}});
  ASSERT_TRUE(outcome) << outcome.error().message;

  EXPECT_THAT(outcome->message, HasSubstr(target_ip_));
  EXPECT_EQ(targetState(), VIR_DOMAIN_RUNNING);
  EXPECT_TRUE(targetPersistent()) << "the definition moves with the guest";
  EXPECT_FALSE(onNode(harness_->observer(), name_)) << "the source no longer has the domain";
}

TEST_F(TwoNodeMigration, OfflineMigrationMovesOnlyTheDefinition) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  ASSERT_TRUE(harness_->run("stopVMForce", name_));

  auto live = harness_->run("migrateVM", name_, {{"ip", target_ip_}});
  ASSERT_FALSE(live) << "a live migration of a shut-off domain is refused";
  EXPECT_THAT(live.error().message, HasSubstr("offline"));
  EXPECT_FALSE(onNode(*target_, name_));

  auto outcome = harness_->run("migrateVM", name_, {{"ip", target_ip_}, {"offline", true}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(targetState(), VIR_DOMAIN_SHUTOFF);
  EXPECT_TRUE(targetPersistent());
  EXPECT_FALSE(onNode(harness_->observer(), name_));
}

}  // namespace
}  // namespace univirt::virtctl::testing
