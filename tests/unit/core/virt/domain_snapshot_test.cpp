#include "core/virt/domain_snapshot.h"

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

std::string snapshotXml(const std::string& name) {
  return "<domainsnapshot><name>" + name + "</name></domainsnapshot>";
}

// A running domain of its own on a test-driver connection.
class DomainSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
    auto domain = conn_->defineDomain(testDomainXml(uniqueName("vm")));
    ASSERT_TRUE(domain) << domain.error().message;
    domain_.emplace(std::move(domain).value());
    ASSERT_TRUE(domain_->start());
  }

  std::optional<Connection> conn_;
  std::optional<Domain> domain_;
};

TEST_F(DomainSnapshotTest, CreatesListsAndLooksUp) {
  auto first = domain_->createSnapshot(snapshotXml("first"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->name(), "first");
  EXPECT_EQ(first->domainName(), domain_->name());
  auto second = domain_->createSnapshot(snapshotXml("second"));
  ASSERT_TRUE(second) << second.error().message;

  auto all = domain_->listAllSnapshots();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);

  auto found = domain_->lookupSnapshot("first");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->isCurrent().value_or(true), false);
  EXPECT_EQ(second->isCurrent().value_or(false), true);
  auto xml = found->xml();
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_NE(xml->find("<name>first</name>"), std::string::npos) << *xml;
}

TEST_F(DomainSnapshotTest, RevertRestoresTheSnapshottedState) {
  auto snapshot = domain_->createSnapshot(snapshotXml("running"));
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  ASSERT_TRUE(domain_->destroy());
  ASSERT_EQ(domain_->state().value_or(PowerState::NoState), PowerState::Shutoff);

  ASSERT_TRUE(snapshot->revert());

  EXPECT_EQ(domain_->state().value_or(PowerState::NoState), PowerState::Running);
}

TEST_F(DomainSnapshotTest, RemoveDeletesIt) {
  auto snapshot = domain_->createSnapshot(snapshotXml("doomed"));
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  ASSERT_TRUE(snapshot->remove());

  auto lookup = domain_->lookupSnapshot("doomed");
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
  auto all = domain_->listAllSnapshots();
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_TRUE(all->empty());
}

TEST_F(DomainSnapshotTest, MissingSnapshotIsNotFound) {
  auto lookup = domain_->lookupSnapshot("no-such-snapshot");

  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
  EXPECT_EQ(lookup.error().message.rfind(
                "looking up snapshot 'no-such-snapshot' of domain '" + domain_->name() + "': ", 0),
            0u)
      << lookup.error().message;
}

TEST_F(DomainSnapshotTest, UndefineNeedsSnapshotMetadataFlag) {
  ASSERT_TRUE(domain_->createSnapshot(snapshotXml("kept")));
  ASSERT_TRUE(domain_->destroy());

  auto refused = domain_->undefine();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument) << refused.error().message;

  EXPECT_TRUE(domain_->undefine(VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA));
}

}  // namespace
}  // namespace univirt::virt
