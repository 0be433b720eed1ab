#include "core/virt/handles.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::testDomainXml;
using testing::uniqueName;

// --- The template's ownership rules, observed through a counting release function. ---

struct Fake {
  int releases = 0;
};

int releaseFake(Fake* fake) {
  ++fake->releases;
  return 0;
}

using FakeHandle = detail::Handle<Fake, &releaseFake>;

TEST(Handle, ReleasesOnceWhenDestroyed) {
  Fake fake;
  {
    FakeHandle handle(&fake);
    EXPECT_TRUE(handle);
    EXPECT_EQ(handle.get(), &fake);
  }
  EXPECT_EQ(fake.releases, 1);
}

TEST(Handle, EmptyHandleReleasesNothing) {
  FakeHandle empty;
  FakeHandle from_null(nullptr);
  EXPECT_FALSE(empty);
  EXPECT_FALSE(from_null);
  empty.reset();  // must not call the release function with null
}

TEST(Handle, MoveConstructionTransfersOwnership) {
  Fake fake;
  {
    FakeHandle first(&fake);
    FakeHandle second(std::move(first));
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from state is the contract
    EXPECT_EQ(second.get(), &fake);
    EXPECT_EQ(fake.releases, 0);
  }
  EXPECT_EQ(fake.releases, 1);
}

TEST(Handle, MoveAssignmentReleasesThePreviousObject) {
  Fake kept;
  Fake replaced;
  {
    FakeHandle first(&kept);
    FakeHandle second(&replaced);

    second = std::move(first);

    EXPECT_EQ(replaced.releases, 1);
    EXPECT_EQ(kept.releases, 0);
    EXPECT_EQ(second.get(), &kept);
  }
  EXPECT_EQ(kept.releases, 1);
  EXPECT_EQ(replaced.releases, 1);
}

TEST(Handle, SelfMoveAssignmentKeepsTheObject) {
  Fake fake;
  FakeHandle handle(&fake);
  FakeHandle& alias = handle;

  handle = std::move(alias);

  EXPECT_EQ(handle.get(), &fake);
  EXPECT_EQ(fake.releases, 0);
}

TEST(Handle, ResetReleasesEarly) {
  Fake fake;
  FakeHandle handle(&fake);
  handle.reset();
  handle.reset();
  EXPECT_EQ(fake.releases, 1);
  EXPECT_FALSE(handle);
}

// --- The real libvirt handles. The test driver's shared state (test:///default) lives while
// any reference to any connection to it exists, so a marker domain defined in it survives
// exactly as long as some handle still holds the connection. ---

class LibvirtHandles : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = ConnectHandle(virConnectOpen(kTestUri));
    ASSERT_TRUE(conn_);
    marker_ = uniqueName("marker");
    DomainHandle marker(virDomainDefineXML(conn_.get(), testDomainXml(marker_).c_str()));
    ASSERT_TRUE(marker);
  }

  // Whether the state holding the marker is still alive: true while a reference to a
  // connection remains, false once every one was released (the driver reset its state).
  bool stateAlive() const {
    ConnectHandle probe(virConnectOpen(kTestUri));
    EXPECT_TRUE(probe);
    DomainHandle marker(virDomainLookupByName(probe.get(), marker_.c_str()));
    virResetLastError();
    return static_cast<bool>(marker);
  }

  // Takes an object handle from `make`, closes conn_, and checks that the handle alone keeps
  // the connection and that dropping it releases the connection.
  template <typename HandleT>
  void expectHandleHoldsConnection(const std::function<HandleT(virConnectPtr)>& make) {
    HandleT object = make(conn_.get());
    ASSERT_TRUE(object);
    conn_.reset();
    EXPECT_TRUE(stateAlive());
    object.reset();
    EXPECT_FALSE(stateAlive());
  }

  ConnectHandle conn_;
  std::string marker_;
};

TEST_F(LibvirtHandles, ConnectHandleClosesTheConnection) {
  EXPECT_TRUE(stateAlive());

  conn_.reset();

  EXPECT_FALSE(stateAlive());
}

TEST_F(LibvirtHandles, DomainHandleHoldsItsConnection) {
  expectHandleHoldsConnection<DomainHandle>(
      [](virConnectPtr conn) { return DomainHandle(virDomainLookupByName(conn, "test")); });
}

TEST_F(LibvirtHandles, StoragePoolHandleHoldsItsConnection) {
  expectHandleHoldsConnection<StoragePoolHandle>([](virConnectPtr conn) {
    return StoragePoolHandle(virStoragePoolLookupByName(conn, "default-pool"));
  });
}

TEST_F(LibvirtHandles, StorageVolumeHandleHoldsItsConnection) {
  expectHandleHoldsConnection<StorageVolumeHandle>([](virConnectPtr conn) {
    StoragePoolHandle pool(virStoragePoolLookupByName(conn, "default-pool"));
    return StorageVolumeHandle(virStorageVolCreateXML(
        pool.get(), "<volume><name>handles.img</name><capacity>1024</capacity></volume>", 0));
  });
}

TEST_F(LibvirtHandles, NetworkHandleHoldsItsConnection) {
  expectHandleHoldsConnection<NetworkHandle>(
      [](virConnectPtr conn) { return NetworkHandle(virNetworkLookupByName(conn, "default")); });
}

TEST_F(LibvirtHandles, DomainSnapshotHandleHoldsItsConnection) {
  expectHandleHoldsConnection<DomainSnapshotHandle>([](virConnectPtr conn) {
    DomainHandle domain(virDomainLookupByName(conn, "test"));
    return DomainSnapshotHandle(virDomainSnapshotCreateXML(
        domain.get(), "<domainsnapshot><name>handles</name></domainsnapshot>", 0));
  });
}

TEST_F(LibvirtHandles, FailedLookupGivesAnEmptyHandle) {
  DomainHandle missing(virDomainLookupByName(conn_.get(), "no-such-domain"));
  virResetLastError();
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.get(), nullptr);
}

TEST_F(LibvirtHandles, TakeArrayOwnsEveryListedObject) {
  virDomainPtr* raw = nullptr;
  int count = virConnectListAllDomains(conn_.get(), &raw, 0);
  ASSERT_EQ(count, 2);  // the built-in "test" and the marker
  std::vector<DomainHandle> domains = takeArray<DomainHandle>(raw, count);
  ASSERT_EQ(domains.size(), 2u);
  conn_.reset();

  domains.pop_back();
  EXPECT_TRUE(stateAlive());
  domains.clear();
  EXPECT_FALSE(stateAlive());
}

TEST(TakeArray, NullArrayIsEmpty) {
  EXPECT_TRUE(takeArray<DomainHandle>(static_cast<virDomainPtr*>(nullptr), -1).empty());
}

TEST(TakeString, CopiesTheTextAndFreesIt) {
  char* owned = static_cast<char*>(std::malloc(6));  // NOLINT: stands in for libvirt's malloc
  ASSERT_NE(owned, nullptr);
  std::memcpy(owned, "hello", 6);
  EXPECT_EQ(takeString(owned), "hello");  // ASan reports a leak if it was not freed
  EXPECT_EQ(takeString(nullptr), "");
}

}  // namespace
}  // namespace univirt::virt
