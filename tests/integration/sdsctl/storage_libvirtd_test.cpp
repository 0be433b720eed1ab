// The sdsctl library against the real libvirtd of the `virtctl_libvirtd` fixture
// (qemu:///system, QEMU/TCG): a real dir pool, and an external snapshot taken live through
// libvirt while a firmware-only guest runs with the disk.

#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "core/virt/connection.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kSystemUri = "qemu:///system";

class StorageOnLibvirtd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/libvirtd") || !fs::exists("/usr/bin/qemu-img") ||
        !util::runProgram({"qemu-system-x86_64", "--version"}).has_value()) {
      GTEST_SKIP() << "libvirt-daemon, qemu-system-x86 and qemu-utils are needed";
    }
    auto opened = virt::Connection::open(kSystemUri);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    connection_ = std::make_shared<virt::Connection>(std::move(*opened));
    std::string pattern = (fs::temp_directory_path() / "univirt-sds-libvirtd.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    // QEMU runs as libvirt-qemu: it must reach the disk files.
    ASSERT_EQ(::chmod(base_.c_str(), 0755), 0);
    name_ = fmt::format("uvt-sds-{}", ::getpid());
  }
  void TearDown() override {
    if (connection_) {
      if (auto domain = connection_->lookupDomain(name_); domain.has_value()) {
        (void)domain->destroy();
        (void)domain->undefine();
      }
      if (auto pool = connection_->lookupStoragePool(name_); pool.has_value()) {
        (void)pool->destroy();
        (void)pool->undefine();
      }
    }
    if (!base_.empty()) {
      fs::remove_all(base_);
    }
  }

  Storage storage() {
    auto connection = connection_;
    return Storage(
        [connection]() -> util::Result<std::shared_ptr<virt::Connection>> { return connection; });
  }

  std::shared_ptr<virt::Connection> connection_;
  fs::path base_;
  std::string name_;
};

TEST_F(StorageOnLibvirtd, LiveExternalSnapshotOfARunningGuest) {
  auto pool = storage().createPool({.name = name_,
                                    .type = "localfs",
                                    .url = (base_ / "pool").string(),
                                    .content = "vmd",
                                    .autostart = false});
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  EXPECT_TRUE(pool->active);
  EXPECT_GT(pool->capacity, 0U);
  ASSERT_EQ(::chmod((base_ / "pool").c_str(), 0755), 0);

  auto disk = storage().createDisk(name_, "localfs", "d", "64M", "qcow2");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  ASSERT_EQ(::chmod(disk->dir.c_str(), 0777), 0);  // QEMU creates the overlay file there
  const std::string xml = fmt::format(
      "<domain type='qemu'><name>{}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os><features><acpi/><apic/></features>"
      "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source file='{}'/><target dev='vda' bus='virtio'/></disk>"
      "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/></devices></domain>",
      name_, disk->current.string());
  auto domain = connection_->defineDomain(xml);
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  ASSERT_TRUE(domain->start().has_value());

  using Action = Storage::SnapshotAction;
  auto live = storage().externalSnapshot(Action::Create, name_, "localfs", "d", "s1");
  ASSERT_TRUE(live.has_value()) << live.error().message;
  const fs::path overlay = disk->dir / "s1";
  EXPECT_EQ(live->current, overlay);
  EXPECT_EQ(live->backing_file, disk->current.string());
  EXPECT_THAT(domain->xml().value_or(""), HasSubstr(fmt::format("file='{}'", overlay.string())))
      << "the running guest writes to the new overlay";

  auto revert = storage().externalSnapshot(Action::Revert, name_, "localfs", "d", "s1");
  ASSERT_FALSE(revert.has_value());
  EXPECT_THAT(revert.error().message, HasSubstr("stop the VirtualMachine"));
  auto refused = storage().deleteDisk(name_, "localfs", "d");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr(fmt::format("domain '{}'", name_)));

  ASSERT_TRUE(domain->destroy().has_value());
  auto merged = storage().externalSnapshot(Action::Delete, name_, "localfs", "d", "s1");
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  EXPECT_EQ(merged->current, disk->current);
  EXPECT_FALSE(fs::exists(overlay));

  ASSERT_TRUE(domain->undefine().has_value());
  ASSERT_TRUE(storage().deleteDisk(name_, "localfs", "d").has_value());
  ASSERT_TRUE(storage().deletePool(name_, "localfs").has_value());
  EXPECT_FALSE(connection_->lookupStoragePool(name_).has_value());
}

}  // namespace
}  // namespace univirt::sdsctl
