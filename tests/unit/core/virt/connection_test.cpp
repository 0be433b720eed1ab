#include "core/virt/connection.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::testDomainXml;
using testing::uniqueName;
using util::ErrorCode;

bool hasDomain(const std::vector<Domain>& domains, const std::string& name) {
  return std::any_of(domains.begin(), domains.end(),
                     [&](const Domain& domain) { return domain.name() == name; });
}

TEST(Connection, OpensTheTestDriver) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(conn->uri(), kTestUri);
  EXPECT_NE(conn->get(), nullptr);
  EXPECT_TRUE(conn->isAlive());
}

TEST(Connection, UnreachableDaemonIsUnavailable) {
  std::filesystem::path socket =
      std::filesystem::path(::testing::TempDir()) / "univirt-connection-test" / "nope";
  std::string uri = "qemu:///system?socket=" + socket.string();

  auto conn = Connection::open(uri);

  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(conn.error().message.rfind("opening libvirt connection '" + uri + "': ", 0), 0u)
      << conn.error().message;
  EXPECT_NE(conn.error().message.find("libvirt error from 'rpc'"), std::string::npos)
      << conn.error().message;
}

TEST(Connection, LooksUpDomainsByNameAndUuid) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  auto by_name = conn->lookupDomain("test");
  ASSERT_TRUE(by_name) << by_name.error().message;
  EXPECT_EQ(by_name->name(), "test");
  ASSERT_EQ(by_name->uuid().size(), 36u);

  auto by_uuid = conn->lookupDomainByUuid(by_name->uuid());
  ASSERT_TRUE(by_uuid) << by_uuid.error().message;
  EXPECT_EQ(by_uuid->name(), "test");
}

TEST(Connection, MissingDomainIsNotFound) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  auto domain = conn->lookupDomain("no-such-domain");

  ASSERT_FALSE(domain);
  EXPECT_EQ(domain.error().code, ErrorCode::NotFound);
  EXPECT_EQ(domain.error().message,
            "looking up domain 'no-such-domain': libvirt error from 'test': Domain not found");
}

TEST(Connection, MalformedUuidIsInvalidArgument) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  auto domain = conn->lookupDomainByUuid("not-a-uuid");

  ASSERT_FALSE(domain);
  EXPECT_EQ(domain.error().code, ErrorCode::InvalidArgument) << domain.error().message;
}

TEST(Connection, DefinesAndListsDomains) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;
  std::string name = uniqueName("vm");

  auto defined = conn->defineDomain(testDomainXml(name));
  ASSERT_TRUE(defined) << defined.error().message;
  EXPECT_EQ(defined->name(), name);

  auto all = conn->listAllDomains();
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_TRUE(hasDomain(*all, name));
  EXPECT_TRUE(hasDomain(*all, "test"));

  auto inactive = conn->listAllDomains(VIR_CONNECT_LIST_DOMAINS_INACTIVE);
  ASSERT_TRUE(inactive) << inactive.error().message;
  EXPECT_TRUE(hasDomain(*inactive, name));
  EXPECT_FALSE(hasDomain(*inactive, "test"));  // the built-in domain runs
}

TEST(Connection, MalformedDomainXmlIsInvalidArgument) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  auto defined = conn->defineDomain("<domain type='test'><name>broken</name");

  ASSERT_FALSE(defined);
  EXPECT_EQ(defined.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(defined.error().message.rfind("defining a domain: libvirt error from ", 0), 0u)
      << defined.error().message;
}

TEST(Connection, ReadOnlyConnectionRefusesWrites) {
  auto conn = Connection::open(kTestUri, OpenMode::ReadOnly);
  ASSERT_TRUE(conn) << conn.error().message;

  EXPECT_TRUE(conn->lookupDomain("test"));
  auto defined = conn->defineDomain(testDomainXml(uniqueName("vm")));

  ASSERT_FALSE(defined);
  EXPECT_EQ(defined.error().code, ErrorCode::PermissionDenied) << defined.error().message;
}

TEST(Connection, LooksUpAndListsStoragePoolsAndNetworks) {
  auto conn = Connection::open(kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  auto pool = conn->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(pool->name(), "default-pool");
  auto pools = conn->listAllStoragePools();
  ASSERT_TRUE(pools) << pools.error().message;
  EXPECT_EQ(pools->size(), 1u);

  auto network = conn->lookupNetwork("default");
  ASSERT_TRUE(network) << network.error().message;
  EXPECT_EQ(network->name(), "default");
  auto networks = conn->listAllNetworks();
  ASSERT_TRUE(networks) << networks.error().message;
  EXPECT_EQ(networks->size(), 1u);

  auto missing_pool = conn->lookupStoragePool("no-such-pool");
  ASSERT_FALSE(missing_pool);
  EXPECT_EQ(missing_pool.error().code, ErrorCode::NotFound);
  auto missing_network = conn->lookupNetwork("no-such-network");
  ASSERT_FALSE(missing_network);
  EXPECT_EQ(missing_network.error().code, ErrorCode::NotFound);
}

TEST(Connection, SharedHandleOutlivesTheConnection) {
  ConnectHandle shared;
  {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    shared = conn->share();
  }
  Connection again(std::move(shared), kTestUri);

  EXPECT_TRUE(again.isAlive());
  EXPECT_TRUE(again.lookupDomain("test"));
}

TEST(Connection, ObjectsOutliveTheirConnection) {
  std::optional<Domain> domain;
  {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    auto found = conn->lookupDomain("test");
    ASSERT_TRUE(found) << found.error().message;
    domain.emplace(std::move(found).value());
  }
  auto state = domain->state();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(*state, PowerState::Running);
}

}  // namespace
}  // namespace univirt::virt
