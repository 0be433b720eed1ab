#include "core/virt/storage_pool.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::uniqueName;
using util::ErrorCode;

// The test driver keeps pools in memory; the target path is never touched.
std::string dirPoolXml(const std::string& name) {
  std::filesystem::path target = std::filesystem::path(::testing::TempDir()) / name;
  return "<pool type='dir'><name>" + name + "</name><target><path>" + target.string() +
         "</path></target></pool>";
}

std::string volumeXml(const std::string& name) {
  return "<volume><name>" + name + "</name><capacity unit='MiB'>4</capacity></volume>";
}

class StoragePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
  }

  std::optional<Connection> conn_;
};

TEST_F(StoragePoolTest, ReportsTheDefaultPool) {
  auto pool = conn_->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;

  auto info = pool->info();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->active);
  EXPECT_GT(info->capacity_bytes, 0u);
  EXPECT_EQ(pool->isActive().value_or(false), true);
  EXPECT_EQ(pool->uuid().size(), 36u);
  auto xml = pool->xml();
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_NE(xml->find("<name>default-pool</name>"), std::string::npos) << *xml;
}

TEST_F(StoragePoolTest, DefinesStartsStopsAndUndefines) {
  std::string name = uniqueName("pool");
  auto pool = conn_->defineStoragePool(dirPoolXml(name));
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(pool->name(), name);
  EXPECT_EQ(pool->isActive().value_or(true), false);

  ASSERT_TRUE(pool->start());
  EXPECT_EQ(pool->isActive().value_or(false), true);
  ASSERT_TRUE(pool->refresh());

  ASSERT_TRUE(pool->destroy());
  EXPECT_EQ(pool->isActive().value_or(true), false);

  ASSERT_TRUE(pool->undefine());
  auto lookup = conn_->lookupStoragePool(name);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
}

TEST_F(StoragePoolTest, CreatesATransientActivePool) {
  std::string name = uniqueName("pool");
  auto pool = conn_->createStoragePool(dirPoolXml(name));
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(pool->isActive().value_or(false), true);

  ASSERT_TRUE(pool->destroy());

  // A transient pool is gone once stopped.
  auto lookup = conn_->lookupStoragePool(name);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
}

TEST_F(StoragePoolTest, StartingAnActivePoolFailsWithoutRetry) {
  auto pool = conn_->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;

  auto started = pool->start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(started.error().message.rfind("starting storage pool 'default-pool': ", 0), 0u)
      << started.error().message;
}

TEST_F(StoragePoolTest, CreatesListsLooksUpVolumes) {
  auto pool = conn_->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;
  std::string name = uniqueName("disk") + ".img";

  auto created = pool->createVolume(volumeXml(name));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->name(), name);
  EXPECT_EQ(created->poolName(), "default-pool");

  auto volumes = pool->listAllVolumes();
  ASSERT_TRUE(volumes) << volumes.error().message;
  EXPECT_TRUE(std::any_of(volumes->begin(), volumes->end(),
                          [&](const StorageVolume& volume) { return volume.name() == name; }));
  auto found = pool->lookupVolume(name);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->name(), name);
  ASSERT_TRUE(found->remove());
}

TEST_F(StoragePoolTest, MissingVolumeIsNotFound) {
  auto pool = conn_->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;

  auto volume = pool->lookupVolume("no-such.img");

  ASSERT_FALSE(volume);
  EXPECT_EQ(volume.error().code, ErrorCode::NotFound);
  EXPECT_EQ(volume.error().message.rfind(
                "looking up volume 'no-such.img' in pool 'default-pool': libvirt error from ", 0),
            0u)
      << volume.error().message;
}

TEST_F(StoragePoolTest, MalformedVolumeXmlIsInvalidArgument) {
  auto pool = conn_->lookupStoragePool("default-pool");
  ASSERT_TRUE(pool) << pool.error().message;

  auto volume = pool->createVolume("<volume><name>broken</name>");

  ASSERT_FALSE(volume);
  EXPECT_EQ(volume.error().code, ErrorCode::InvalidArgument) << volume.error().message;
}

}  // namespace
}  // namespace univirt::virt
