#include "core/virt/storage_volume.h"

#include <string>

#include <gtest/gtest.h>

#include "core/virt/connection.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using testing::kTestUri;
using testing::uniqueName;
using util::ErrorCode;

// A 4 MiB volume of its own in the test driver's default pool.
class StorageVolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(kTestUri);
    ASSERT_TRUE(conn) << conn.error().message;
    conn_.emplace(std::move(conn).value());
    auto pool = conn_->lookupStoragePool("default-pool");
    ASSERT_TRUE(pool) << pool.error().message;
    pool_.emplace(std::move(pool).value());
    name_ = uniqueName("disk") + ".img";
    auto volume = pool_->createVolume("<volume><name>" + name_ +
                                      "</name><capacity unit='MiB'>4</capacity></volume>");
    ASSERT_TRUE(volume) << volume.error().message;
    volume_.emplace(std::move(volume).value());
  }

  std::optional<Connection> conn_;
  std::optional<StoragePool> pool_;
  std::string name_;
  std::optional<StorageVolume> volume_;
};

TEST_F(StorageVolumeTest, ReportsPathKeyAndSize) {
  auto path = volume_->path();
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "/default-pool/" + name_);
  auto key = volume_->key();
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_FALSE(key->empty());

  auto info = volume_->info();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->capacity_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(info->type, VIR_STORAGE_VOL_FILE);

  auto xml = volume_->xml();
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_NE(xml->find("<name>" + name_ + "</name>"), std::string::npos) << *xml;
}

TEST_F(StorageVolumeTest, RemoveDeletesIt) {
  ASSERT_TRUE(volume_->remove());

  auto lookup = pool_->lookupVolume(name_);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().code, ErrorCode::NotFound);
}

TEST_F(StorageVolumeTest, RemovingTwiceIsNotFound) {
  ASSERT_TRUE(volume_->remove());

  auto again = volume_->remove();

  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::NotFound) << again.error().message;
  EXPECT_EQ(again.error().message.rfind(
                "deleting volume '" + name_ + "' in pool 'default-pool': libvirt error from ", 0),
            0u)
      << again.error().message;
}

}  // namespace
}  // namespace univirt::virt
