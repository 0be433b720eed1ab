// The sdsctl library (Storage) over libvirt's test driver (test:///default, in-process): pools
// are real libvirt pool objects whose directories are temp dirs, disks and images real files
// made by qemu-img, and "a domain uses this disk" a domain defined in the test driver.

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "core/virt/connection.h"
#include "sdsctl/file_copy.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kUri = "test:///default";

class StorageOnTestDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/qemu-img")) {
      GTEST_SKIP() << "qemu-utils is not installed (apt-get install qemu-utils)";
    }
    std::string pattern = (fs::temp_directory_path() / "univirt-storage.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    fs::create_directories(base_ / "iso");
    auto opened = virt::Connection::open(kUri);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    connection_ = std::make_shared<virt::Connection>(std::move(*opened));
    settings_.path_roots = {(base_ / "iso").string()};
  }
  void TearDown() override {
    for (const auto& mounted : mounts_) {
      ::umount2(mounted.c_str(), MNT_DETACH);
    }
    if (connection_) {
      for (const char* name : {"pooltest", "images", "shared"}) {
        if (auto pool = connection_->lookupStoragePool(name); pool.has_value()) {
          (void)pool->destroy();
          (void)pool->undefine();
        }
      }
    }
    if (!base_.empty()) {
      fs::remove_all(base_);
    }
  }

  Storage storage() {
    auto connection = connection_;
    return Storage(
        [connection]() -> util::Result<std::shared_ptr<virt::Connection>> { return connection; },
        settings_);
  }

  PoolState createPool(const std::string& name, const std::string& content = "vmd") {
    auto pool = storage().createPool({.name = name,
                                      .type = "localfs",
                                      .url = (base_ / name).string(),
                                      .content = content,
                                      .autostart = true});
    EXPECT_TRUE(pool.has_value()) << pool.error().message;
    return pool.value_or(PoolState{});
  }

  fs::path base_;
  std::shared_ptr<virt::Connection> connection_;
  StorageSettings settings_;
  std::vector<std::string> mounts_;
};

TEST_F(StorageOnTestDriver, PoolLifecycle) {
  const PoolState created = createPool("pooltest");
  EXPECT_TRUE(created.active);
  EXPECT_TRUE(created.autostart);
  EXPECT_EQ(created.url, (base_ / "pooltest").string());
  EXPECT_EQ(created.content, "vmd");
  EXPECT_TRUE(fs::is_directory(base_ / "pooltest"));
  const auto spec = created.toSpec();
  EXPECT_EQ(spec["state"], "active");
  EXPECT_EQ(spec["type"], "localfs");

  auto again =
      storage().createPool({.name = "pooltest", .type = "dir", .url = (base_ / "x").string()});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);

  auto stopped = storage().stopPool("pooltest", "localfs");
  ASSERT_TRUE(stopped.has_value());
  EXPECT_FALSE(stopped->active);
  auto refused = storage().createDisk("pooltest", "localfs", "d", "1M", "qcow2");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("not active; start it with startPool"));
  ASSERT_TRUE(storage().startPool("pooltest", "localfs")->active);
  EXPECT_FALSE(storage().setPoolAutostart("pooltest", "localfs", false)->autostart);

  ASSERT_TRUE(storage().createDisk("pooltest", "localfs", "d", "1M", "qcow2").has_value());
  auto busy = storage().deletePool("pooltest", "localfs");
  ASSERT_FALSE(busy.has_value());
  EXPECT_THAT(busy.error().message, HasSubstr("delete its disks and images first"));
  ASSERT_TRUE(storage().deleteDisk("pooltest", "localfs", "d").has_value());
  ASSERT_TRUE(storage().deletePool("pooltest", "localfs").has_value());
  EXPECT_FALSE(connection_->lookupStoragePool("pooltest").has_value());
  EXPECT_FALSE(fs::exists(base_ / "pooltest"));
  EXPECT_TRUE(storage().deletePool("pooltest", "localfs").has_value());  // idempotent
}

TEST_F(StorageOnTestDriver, CephRbdRequestsAreCheckedBeforeTheCluster) {
  // The RBD backend itself runs against a real cluster in rbd_storage_test.cpp; these refusals
  // need none.
  auto pool = storage().createPool({.name = "rbd", .type = "cephrbd", .url = "rbd"});
  ASSERT_FALSE(pool.has_value());
  EXPECT_THAT(pool.error().message, HasSubstr("write 'rbd:<pool>'"));
  createPool("pooltest");
  auto disk = storage().createDisk("pooltest", "cephrbd", "d", "1G", "raw");
  ASSERT_FALSE(disk.has_value());
  EXPECT_THAT(disk.error().message, HasSubstr("is a libvirt 'dir' pool, not a cephrbd"));
  EXPECT_THAT(storage().createPool({.name = "x", .type = "zfs", .url = "/x"}).error().message,
              HasSubstr("pool type 'zfs' is unknown"));
}

TEST_F(StorageOnTestDriver, SharedFileSystemPoolsNeedTheirMount) {
  fs::create_directories(base_ / "shared");
  auto plain = storage().createPool(
      {.name = "shared", .type = "cephfs", .url = (base_ / "shared").string()});
  ASSERT_FALSE(plain.has_value());
  EXPECT_THAT(plain.error().message, HasSubstr("plain directory"));
  EXPECT_FALSE(connection_->lookupStoragePool("shared").has_value());

  // A tmpfs stands in for the CephFS mount (no MDS runs here).
  if (::mount("tmpfs", (base_ / "shared").c_str(), "tmpfs", 0, "size=64m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounts_.push_back((base_ / "shared").string());
  auto wrong_type = storage().createPool(
      {.name = "shared", .type = "cephfs", .url = (base_ / "shared").string()});
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_THAT(wrong_type.error().message, HasSubstr("a 'tmpfs' mount"));

  settings_.file.mount_fs_types[PoolType::CephFs].push_back("tmpfs");
  auto pool = storage().createPool(
      {.name = "shared", .type = "cephfs", .url = (base_ / "shared").string(), .content = "vmd"});
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  auto disk = storage().createDisk("shared", "cephfs", "d", "16M", "qcow2");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  EXPECT_EQ(disk->current, base_ / "shared" / "d" / "d");

  // The mount goes away: the directory underneath is never written to.
  ASSERT_EQ(::umount2((base_ / "shared").c_str(), MNT_DETACH), 0);
  mounts_.clear();
  auto unmounted = storage().createDisk("shared", "cephfs", "e", "16M", "qcow2");
  ASSERT_FALSE(unmounted.has_value());
  EXPECT_THAT(unmounted.error().message, HasSubstr("mount the cephfs file system there first"));
  EXPECT_FALSE(fs::exists(base_ / "shared" / "e"));
}

TEST_F(StorageOnTestDriver, DiskOperations) {
  createPool("pooltest");
  auto bad = storage().createDisk("pooltest", "localfs", "d", "10 G", "qcow2");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message, HasSubstr("capacity '10 G' is invalid"));

  auto disk = storage().createDisk("pooltest", "localfs", "disktest", "10G", "qcow2");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  EXPECT_EQ(disk->virtual_size, 10ULL << 30);
  const auto volume = volumeSpec(*disk, "localfs");
  EXPECT_EQ(volume["current"], (base_ / "pooltest" / "disktest" / "disktest").string());
  EXPECT_EQ(volume["format"], "qcow2");
  EXPECT_EQ(volume["pool"], "pooltest");

  auto resized = storage().resizeDisk("pooltest", "localfs", "disktest", "21737418240");
  ASSERT_TRUE(resized.has_value()) << resized.error().message;
  EXPECT_EQ(resized->virtual_size, 21737418240ULL);

  auto clone = storage().cloneDisk("pooltest", "localfs", "disktest", "copy", "raw");
  ASSERT_TRUE(clone.has_value()) << clone.error().message;
  EXPECT_EQ(clone->format, "raw");
  ASSERT_TRUE(storage().deleteDisk("pooltest", "localfs", "copy").has_value());
  EXPECT_FALSE(fs::exists(base_ / "pooltest" / "copy"));
  EXPECT_EQ(storage().deleteDisk("pooltest", "localfs", "copy").error().code,
            util::ErrorCode::NotFound);
}

TEST_F(StorageOnTestDriver, DeletingADiskADefinedVmUsesIsRefused) {
  createPool("pooltest");
  auto disk = storage().createDisk("pooltest", "localfs", "vmdisk", "16M", "qcow2");
  ASSERT_TRUE(disk.has_value());
  const std::string xml = fmt::format(
      "<domain type='test'><name>uvt-sds-user</name><memory>131072</memory><vcpu>1</vcpu>"
      "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
      "<driver name='qemu' type='qcow2'/><source file='{}'/><target dev='vda' bus='virtio'/>"
      "</disk></devices></domain>",
      disk->current.string());
  auto domain = connection_->defineDomain(xml);
  ASSERT_TRUE(domain.has_value()) << domain.error().message;

  auto refused = storage().deleteDisk("pooltest", "localfs", "vmdisk");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("domain 'uvt-sds-user' has it as 'vda'"));
  EXPECT_TRUE(fs::exists(disk->current));

  ASSERT_TRUE(domain->start().has_value());
  auto internal = storage().internalSnapshot(Storage::SnapshotAction::Create, "pooltest", "localfs",
                                             "vmdisk", "s");
  ASSERT_FALSE(internal.has_value());
  EXPECT_THAT(internal.error().message, HasSubstr("stop the VirtualMachine"));
  auto revert = storage().externalSnapshot(Storage::SnapshotAction::Revert, "pooltest", "localfs",
                                           "vmdisk", "s");
  ASSERT_FALSE(revert.has_value());
  EXPECT_THAT(revert.error().message, HasSubstr("needs domain 'uvt-sds-user' stopped"));

  ASSERT_TRUE(domain->destroy().has_value());
  ASSERT_TRUE(domain->undefine().has_value());
  EXPECT_TRUE(storage().deleteDisk("pooltest", "localfs", "vmdisk").has_value());
}

TEST_F(StorageOnTestDriver, PathEscapesAreRefused) {
  createPool("pooltest");
  createPool("images", "vmdi");
  std::ofstream(base_ / "secret") << "not for guests";
  fs::create_symlink(base_ / "secret", base_ / "images" / "link.qcow2");
  fs::create_symlink("/etc/passwd", base_ / "iso" / "passwd.iso");

  const std::vector<std::pair<std::string, std::string>> attempts = {
      {"../../etc/passwd", "not an absolute path"},
      {"/etc/passwd", "lies inside no storage pool"},
      {(base_ / "images" / "link.qcow2").string(), "is a symbolic link"},
      {(base_ / "images" / ".." / "secret").string(), "contains '..'"},
      {(base_ / "iso" / "passwd.iso").string(), "is a symbolic link"},
  };
  for (const auto& [source, why] : attempts) {
    auto disk = storage().createDiskFromImage("pooltest", "localfs", "d", source, true);
    ASSERT_FALSE(disk.has_value()) << source;
    EXPECT_THAT(disk.error().message, HasSubstr(why)) << source;
    EXPECT_THAT(disk.error().message, HasSubstr(fmt::format("'{}'", source)));
    auto image = storage().createImage("images", "localfs", "i", source, "iso");
    ASSERT_FALSE(image.has_value()) << source;
    EXPECT_THAT(image.error().message, HasSubstr(why)) << source;
  }
  for (const char* name : {"../../etc/passwd", "/etc/passwd"}) {
    auto disk = storage().createDisk("pooltest", "localfs", name, "1M", "qcow2");
    ASSERT_FALSE(disk.has_value());
    EXPECT_THAT(disk.error().message, HasSubstr("contains '/'"));
  }
  EXPECT_FALSE(fs::exists(base_ / "pooltest" / "d"));
  EXPECT_FALSE(fs::exists(base_ / "images" / "i"));
}

TEST_F(StorageOnTestDriver, DiskImagesAndDisksFromThem) {
  createPool("pooltest");
  createPool("images", "vmdi");
  {
    std::ofstream iso(base_ / "iso" / "centos7.iso", std::ios::binary);
    iso << std::string(1 << 20, 'i');
  }
  auto iso = storage().createImage("images", "localfs", "centos7-iso",
                                   (base_ / "iso" / "centos7.iso").string(), "iso");
  ASSERT_TRUE(iso.has_value()) << iso.error().message;
  EXPECT_EQ(fs::file_size(iso->current), 1U << 20);
  EXPECT_EQ(iso->current, base_ / "images" / "centos7-iso" / "centos7-iso");

  ASSERT_TRUE(storage().createDisk("pooltest", "localfs", "golden", "32M", "qcow2").has_value());
  auto image = storage().createImageFromDisk("pooltest", "golden", "images", "localfs", "tmpl");
  ASSERT_TRUE(image.has_value()) << image.error().message;
  EXPECT_EQ(image->format, "qcow2");

  auto thin =
      storage().createDiskFromImage("pooltest", "localfs", "vm1", image->current.string(), false);
  ASSERT_TRUE(thin.has_value()) << thin.error().message;
  EXPECT_EQ(thin->backing_file, image->current.string());

  ASSERT_TRUE(storage().deleteImage("images", "localfs", "centos7-iso").has_value());
  EXPECT_FALSE(fs::exists(base_ / "images" / "centos7-iso"));
}

TEST_F(StorageOnTestDriver, ExternalSnapshotsOffline) {
  createPool("pooltest");
  auto disk = storage().createDisk("pooltest", "localfs", "d", "16M", "qcow2");
  ASSERT_TRUE(disk.has_value());
  // A stopped VM with the disk follows the overlay chain.
  const std::string vm = "uvt-sds-stopped";
  auto domain = connection_->defineDomain(fmt::format(
      "<domain type='test'><name>{}</name><memory>131072</memory><os><type>hvm</type></os>"
      "<devices><disk type='file' device='disk'><source file='{}'/><target dev='vda'/></disk>"
      "</devices></domain>",
      vm, disk->current.string()));
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  auto source_of = [&] {
    auto found = connection_->lookupDomain(vm);
    return found.has_value() ? found->xml(VIR_DOMAIN_XML_INACTIVE).value_or("") : "";
  };

  using Action = Storage::SnapshotAction;
  auto s1 = storage().externalSnapshot(Action::Create, "pooltest", "localfs", "d", "s1");
  ASSERT_TRUE(s1.has_value()) << s1.error().message;
  EXPECT_EQ(s1->current, base_ / "pooltest" / "d" / "s1");
  EXPECT_EQ(storage().diskState("pooltest", "localfs", "d")->current, s1->current);
  EXPECT_THAT(source_of(), HasSubstr(fmt::format("file='{}'", s1->current.string())));
  auto bad = storage().externalSnapshot(Action::Create, "pooltest", "localfs", "d", "../x");
  ASSERT_FALSE(bad.has_value());
  auto reverted = storage().externalSnapshot(Action::Revert, "pooltest", "localfs", "d", "s1");
  ASSERT_TRUE(reverted.has_value()) << reverted.error().message;
  auto deleted = storage().externalSnapshot(Action::Delete, "pooltest", "localfs", "d", "s1");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(deleted->current, base_ / "pooltest" / "d" / "d");
  EXPECT_THAT(source_of(), HasSubstr(fmt::format("file='{}'", deleted->current.string())));
  ASSERT_TRUE(connection_->lookupDomain(vm)->undefine().has_value());
}

TEST_F(StorageOnTestDriver, ImageHubUploadAndDownloadOverAnNfsDirectory) {
  createPool("images", "vmdi");
  // A tmpfs stands in for the NFS share (no nfsd runs here); it is under a path root.
  const fs::path hub = base_ / "hub";
  fs::create_directories(hub);
  if (::mount("tmpfs", hub.c_str(), "tmpfs", 0, "size=64m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounts_.push_back(hub.string());
  settings_.path_roots.push_back(hub.string());
  {
    // Data, then a long zero run (a hole in the copies), then data again.
    std::ofstream raw(base_ / "iso" / "golden.raw", std::ios::binary);
    raw << std::string(4096, 'a') << std::string(3 << 20, '\0') << std::string(100, 'z');
  }
  auto image = storage().createImage("images", "localfs", "golden",
                                     (base_ / "iso" / "golden.raw").string(), "qcow2");
  ASSERT_TRUE(image.has_value()) << image.error().message;

  auto not_nfs = storage().uploadImage("images", "", "golden", "nfs", hub.string());
  ASSERT_FALSE(not_nfs.has_value());
  EXPECT_THAT(not_nfs.error().message, HasSubstr("a 'tmpfs' mount, not an NFS share"));
  EXPECT_FALSE(fs::exists(hub / "golden"));
  settings_.file.mount_fs_types[PoolType::Nfs].push_back("tmpfs");

  auto rgw = storage().uploadImage("images", "", "golden", "cephrgw", "/bucket/golden");
  ASSERT_FALSE(rgw.has_value());
  EXPECT_THAT(rgw.error().message, HasSubstr("'cephrgw' (a Ceph RGW S3 bucket) is not supported"));

  auto uploaded = storage().uploadImage("images", "", "golden", "nfs", hub.string());
  ASSERT_TRUE(uploaded.has_value()) << uploaded.error().message;
  EXPECT_EQ(uploaded->file, hub / "golden");
  EXPECT_FALSE(uploaded->already_there);
  EXPECT_EQ(uploaded->bytes, fs::file_size(image->current));
  EXPECT_TRUE(*sameContent(image->current, hub / "golden"));
  // Only the image arrived: no temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(hub), fs::directory_iterator()), 1);
  // Again (a retried request): the identical copy is fine and is not rewritten.
  auto again = storage().uploadImage("images", "", "golden", "nfs", hub.string());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->already_there);

  // Download it back as a new image: byte for byte the same, with its config.json.
  auto downloaded = storage().downloadImage("images", "", "copy", "nfs", (hub / "golden").string());
  ASSERT_TRUE(downloaded.has_value()) << downloaded.error().message;
  EXPECT_EQ(downloaded->current, base_ / "images" / "copy" / "copy");
  EXPECT_EQ(downloaded->format, "qcow2");
  EXPECT_TRUE(*sameContent(hub / "golden", downloaded->current));
  EXPECT_TRUE(fs::exists(base_ / "images" / "copy" / "config.json"));
  auto twice = storage().downloadImage("images", "", "copy", "nfs", (hub / "golden").string());
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, util::ErrorCode::AlreadyExists);

  // A different file under the name in the hub is never overwritten.
  std::ofstream(hub / "other") << "someone else's file";
  fs::copy_file(hub / "golden", hub / "keep");
  std::ofstream(hub / "golden", std::ios::app) << "changed";
  auto clash = storage().uploadImage("images", "", "golden", "nfs", hub.string());
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, util::ErrorCode::AlreadyExists);
  EXPECT_THAT(clash.error().message, HasSubstr("never overwritten"));
  EXPECT_FALSE(*sameContent(hub / "keep", hub / "golden"));

  // Paths outside the roots, with '..' or through a symbolic link are refused.
  fs::create_directories(base_ / "elsewhere");
  fs::create_symlink(base_ / "elsewhere", hub / "link");
  fs::create_symlink(hub / "keep", hub / "keep-link");
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"relative/dir", "not an absolute path"},
      {(base_ / "elsewhere").string(), "under no configured path root"},
      {(hub / ".." / "elsewhere").string(), "contains '..'"},
      {(hub / "link").string(), "is a symbolic link"},
  };
  for (const auto& [target, why] : targets) {
    auto refused = storage().uploadImage("images", "", "golden", "nfs", target);
    ASSERT_FALSE(refused.has_value()) << target;
    EXPECT_THAT(refused.error().message, HasSubstr(why)) << target;
  }
  EXPECT_FALSE(fs::exists(base_ / "elsewhere" / "golden"));
  for (const auto& source :
       {(hub / "keep-link").string(), (hub / "link" / "x").string(), std::string("/etc/passwd")}) {
    auto refused = storage().downloadImage("images", "", "bad", "nfs", source);
    ASSERT_FALSE(refused.has_value()) << source;
  }
  EXPECT_FALSE(fs::exists(base_ / "images" / "bad"));

  // An image whose backing file lies outside the pool is refused and leaves nothing behind.
  const fs::path overlay = hub / "overlay.qcow2";
  auto made = util::runProgram({"/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                                "-b", (hub / "keep").string(), overlay.string()});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  ASSERT_TRUE(made->succeeded()) << made->err;
  auto backed = storage().downloadImage("images", "", "backed", "nfs", overlay.string());
  ASSERT_FALSE(backed.has_value());
  EXPECT_THAT(backed.error().message, HasSubstr("has a backing file"));
  EXPECT_FALSE(fs::exists(base_ / "images" / "backed"));
}

}  // namespace
}  // namespace univirt::sdsctl
