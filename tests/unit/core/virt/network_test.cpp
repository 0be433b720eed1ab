#include "core/virt/network.h"

#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::uniqueName;
using util::ErrorCode;

// The test driver keeps networks in memory: no bridge is created on the host.
std::string isolatedNetworkXml(const std::string& name) {
  return "<network><name>" + name + "</name><bridge name='uvtest0'/></network>";
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
  }

  std::optional<Connection> conn_;
};

TEST_F(NetworkTest, ReportsTheDefaultNetwork) {
  auto network = conn_->lookupNetwork("default");
  ASSERT_TRUE(network) << network.error().message;

  EXPECT_EQ(network->isActive().value_or(false), true);
  EXPECT_EQ(network->isPersistent().value_or(false), true);
  EXPECT_EQ(network->uuid().size(), 36u);
  auto xml = network->xml();
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_NE(xml->find("<name>default</name>"), std::string::npos) << *xml;
}

TEST_F(NetworkTest, DefinesStartsStopsAndUndefines) {
  std::string name = uniqueName("net");
  auto network = conn_->defineNetwork(isolatedNetworkXml(name));
  ASSERT_TRUE(network) << network.error().message;
  EXPECT_EQ(network->name(), name);
  EXPECT_EQ(network->isActive().value_or(true), false);

  ASSERT_TRUE(network->start());
  EXPECT_EQ(network->isActive().value_or(false), true);
  ASSERT_TRUE(network->destroy());
  EXPECT_EQ(network->isActive().value_or(true), false);
  ASSERT_TRUE(network->undefine());

  auto lookup = conn_->lookupNetwork(name);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
}

TEST_F(NetworkTest, CreatesATransientActiveNetwork) {
  std::string name = uniqueName("net");
  auto network = conn_->createNetwork(isolatedNetworkXml(name));
  ASSERT_TRUE(network) << network.error().message;

  EXPECT_EQ(network->isActive().value_or(false), true);
  EXPECT_EQ(network->isPersistent().value_or(true), false);
  ASSERT_TRUE(network->destroy());
}

TEST_F(NetworkTest, StartingAnActiveNetworkFailsWithoutRetry) {
  auto network = conn_->lookupNetwork("default");
  ASSERT_TRUE(network) << network.error().message;

  auto started = network->start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::InvalidArgument) << started.error().message;
  EXPECT_EQ(started.error().message.rfind("starting network 'default': libvirt error from ", 0), 0u)
      << started.error().message;
}

}  // namespace
}  // namespace univirt::virt
