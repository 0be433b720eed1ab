#include "core/virt/domain.h"

#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::testDomainXml;
using testing::uniqueName;
using util::ErrorCode;

// A freshly defined, stopped domain on its own test-driver connection.
class DomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
    name_ = uniqueName("vm");
    auto domain = conn_->defineDomain(testDomainXml(name_));
    ASSERT_TRUE(domain) << domain.error().message;
    domain_.emplace(std::move(domain).value());
  }

  PowerState powerState() {
    auto state = domain_->state();
    EXPECT_TRUE(state) << state.error().message;
    return state.value_or(PowerState::NoState);
  }

  std::optional<Connection> conn_;
  std::string name_;
  std::optional<Domain> domain_;
};

TEST_F(DomainTest, StartsAndDestroys) {
  EXPECT_EQ(powerState(), PowerState::Shutoff);
  EXPECT_EQ(domain_->isActive().value_or(true), false);

  ASSERT_TRUE(domain_->start());
  EXPECT_EQ(powerState(), PowerState::Running);
  EXPECT_EQ(domain_->isActive().value_or(false), true);

  ASSERT_TRUE(domain_->destroy());
  EXPECT_EQ(powerState(), PowerState::Shutoff);
}

TEST_F(DomainTest, ShutdownStopsIt) {
  ASSERT_TRUE(domain_->start());

  ASSERT_TRUE(domain_->shutdown());

  // The test driver's guest obeys at once.
  EXPECT_EQ(powerState(), PowerState::Shutoff);
}

TEST_F(DomainTest, SuspendsAndResumes) {
  ASSERT_TRUE(domain_->start());

  ASSERT_TRUE(domain_->suspend());
  EXPECT_EQ(powerState(), PowerState::Paused);

  ASSERT_TRUE(domain_->resume());
  EXPECT_EQ(powerState(), PowerState::Running);
}

TEST_F(DomainTest, DestroyingAStoppedDomainFailsWithoutRetry) {
  auto destroyed = domain_->destroy();

  ASSERT_FALSE(destroyed);
  EXPECT_EQ(destroyed.error().code, ErrorCode::InvalidArgument);
  EXPECT_FALSE(destroyed.error().retryable());
  EXPECT_EQ(destroyed.error().message,
            "destroying domain '" + name_ +
                "': libvirt error from 'domain': Requested operation is not valid: domain is "
                "not running");
}

TEST_F(DomainTest, ReportsInfo) {
  ASSERT_TRUE(domain_->start());

  auto info = domain_->info();

  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->state, PowerState::Running);
  EXPECT_EQ(info->max_memory_kib, 131072u);
  EXPECT_EQ(info->vcpus, 2u);
}

TEST_F(DomainTest, ReturnsItsXml) {
  auto xml = domain_->xml(VIR_DOMAIN_XML_INACTIVE);

  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_NE(xml->find("<name>" + name_ + "</name>"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("<uuid>" + domain_->uuid() + "</uuid>"), std::string::npos) << *xml;
}

TEST_F(DomainTest, UndefineRemovesIt) {
  EXPECT_EQ(domain_->isPersistent().value_or(false), true);

  ASSERT_TRUE(domain_->undefine());

  auto lookup = conn_->lookupDomain(name_);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
}

TEST_F(DomainTest, CallsOnAnUndefinedDomainAreNotFound) {
  ASSERT_TRUE(domain_->undefine());

  auto started = domain_->start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::NotFound) << started.error().message;
  EXPECT_EQ(started.error().message.rfind("starting domain '" + name_ + "': ", 0), 0u)
      << started.error().message;
}

TEST(PowerState, MapsEveryLibvirtState) {
  const std::pair<int, PowerState> cases[] = {
      {VIR_DOMAIN_NOSTATE, PowerState::NoState},
      {VIR_DOMAIN_RUNNING, PowerState::Running},
      {VIR_DOMAIN_BLOCKED, PowerState::Blocked},
      {VIR_DOMAIN_PAUSED, PowerState::Paused},
      {VIR_DOMAIN_SHUTDOWN, PowerState::ShuttingDown},
      {VIR_DOMAIN_SHUTOFF, PowerState::Shutoff},
      {VIR_DOMAIN_CRASHED, PowerState::Crashed},
      {VIR_DOMAIN_PMSUSPENDED, PowerState::PmSuspended},
      {99, PowerState::NoState},
  };
  for (const auto& [raw, state] : cases) {
    EXPECT_EQ(powerStateFromLibvirt(raw), state) << raw;
  }
  EXPECT_EQ(powerStateName(PowerState::ShuttingDown), "ShuttingDown");
  EXPECT_EQ(powerStateName(PowerState::PmSuspended), "PmSuspended");
}

}  // namespace
}  // namespace univirt::virt
