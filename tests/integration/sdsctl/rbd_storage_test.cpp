// The sdsctl library (Storage) on cephrbd pools: libvirt's test driver (test:///default, in
// process) holds the rbd pool definitions and the domains that use disks; the disks, images
// and snapshots are real RBD images in the single-node Ceph cluster of the `univirt_ceph`
// fixture. Every result is read back with the real `rbd` command (argv) or librbd.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/virt/connection.h"
#include "integration/sdsctl/rbd_test_support.h"
#include "sdsctl/rbd_backend.h"
#include "sdsctl/rbd_cluster.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::rbd;
using testing::rbdJson;

constexpr const char* kUri = "test:///default";
constexpr std::uint64_t kMiB = 1024 * 1024;

class RbdStorage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = testing::findCephCluster();
    conf_ = cluster_.conf;
    if (!conf_.empty()) {
      ceph_pool_ = testing::uniquePoolName("uvt-rbd");
      if (!testing::createCephPool(conf_, ceph_pool_)) {
        cluster_.error = "cannot create Ceph pool " + ceph_pool_;
        conf_.clear();
      }
    }
  }
  static void TearDownTestSuite() {
    if (!conf_.empty()) {
      testing::deleteCephPool(conf_, ceph_pool_);
    }
  }

  void SetUp() override {
    UNIVIRT_REQUIRE_CEPH(cluster_);
    auto opened = virt::Connection::open(kUri);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    connection_ = std::make_shared<virt::Connection>(std::move(*opened));
    settings_.rbd.conf = conf_;
    std::string pattern = (fs::temp_directory_path() / "univirt-rbd.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    settings_.path_roots = {base_.string()};
  }

  void TearDown() override {
    if (connection_) {
      for (const auto& name : {std::string("vmp"), std::string("vmp2"), std::string("files")}) {
        if (auto pool = connection_->lookupStoragePool(name); pool.has_value()) {
          (void)pool->destroy();
          (void)pool->undefine();
        }
      }
      if (auto domain = connection_->lookupDomain("uvt-rbd-user"); domain.has_value()) {
        (void)domain->undefine();
      }
    }
    if (!conf_.empty()) {
      // Whatever a failed test left behind, so the next starts on an empty Ceph pool.
      for (const auto& image : listImages()) {
        auto snaps = rbdJson(conf_, {"snap", "ls", spec(image)});
        for (const auto& snap : snaps.is_array() ? snaps : nlohmann::json::array()) {
          (void)rbd(conf_,
                    {"snap", "unprotect", spec(image) + "@" + snap["name"].get<std::string>()});
        }
      }
      for (const auto& image : listImages()) {
        (void)rbd(conf_, {"snap", "purge", spec(image)});
      }
      for (int round = 0; round < 3; ++round) {
        for (const auto& image : listImages()) {
          (void)rbd(conf_, {"rm", "--no-progress", spec(image)});
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

  static std::string spec(const std::string& image) { return ceph_pool_ + "/" + image; }

  std::vector<std::string> listImages() {
    auto listed = rbdJson(conf_, {"ls", ceph_pool_});
    std::vector<std::string> names;
    for (const auto& name : listed.is_array() ? listed : nlohmann::json::array()) {
      names.push_back(name.get<std::string>());
    }
    return names;
  }

  nlohmann::json info(const std::string& image) { return rbdJson(conf_, {"info", spec(image)}); }

  std::vector<std::string> snapshots(const std::string& image) {
    std::vector<std::string> names;
    auto listed = rbdJson(conf_, {"snap", "ls", spec(image)});
    for (const auto& snap : listed.is_array() ? listed : nlohmann::json::array()) {
      names.push_back(snap["name"].get<std::string>());
    }
    return names;
  }

  PoolState createPool(const std::string& name = "vmp") {
    auto pool = storage().createPool({.name = name,
                                      .type = "cephrbd",
                                      .url = "rbd:" + ceph_pool_,
                                      .content = "vmd",
                                      .autostart = true});
    EXPECT_TRUE(pool.has_value()) << pool.error().message;
    return pool.value_or(PoolState{});
  }

  // Writes `text` at offset 0 of an image, and reads it back, through librbd.
  void write(const std::string& image, const std::string& text) {
    librados::Rados rados;
    ASSERT_EQ(rados.init("admin"), 0);
    ASSERT_EQ(rados.conf_read_file(conf_.c_str()), 0);
    ASSERT_EQ(rados.connect(), 0);
    librados::IoCtx io;
    ASSERT_EQ(rados.ioctx_create(ceph_pool_.c_str(), io), 0);
    librbd::RBD rbd_api;
    librbd::Image opened;
    ASSERT_EQ(rbd_api.open(io, opened, image.c_str()), 0);
    ceph::bufferlist data;
    data.append(text);
    ASSERT_EQ(opened.write(0, text.size(), data), static_cast<ssize_t>(text.size()));
    ASSERT_EQ(opened.flush(), 0);
  }
  std::string read(const std::string& image, std::size_t length) {
    auto exported = rbd(conf_, {"export", "--no-progress", spec(image), (base_ / "out").string()});
    EXPECT_TRUE(exported.succeeded()) << exported.err;
    std::ifstream in(base_ / "out", std::ios::binary);
    std::string data(length, '\0');
    in.read(data.data(), static_cast<std::streamsize>(length));
    fs::remove(base_ / "out");
    return data;
  }

  // A domain in the test driver whose disk is the RBD image `image`.
  void defineUser(const std::string& image) {
    const std::string xml = fmt::format(
        "<domain type='test'><name>uvt-rbd-user</name><memory>65536</memory><os><type>hvm</type>"
        "</os><devices><disk type='network' device='disk'><driver name='qemu' type='raw'/>"
        "<source protocol='rbd' name='{}'><host name='127.0.0.1'/></source>"
        "<target dev='vdb' bus='virtio'/></disk></devices></domain>",
        spec(image));
    auto defined = connection_->defineDomain(xml);
    ASSERT_TRUE(defined.has_value()) << defined.error().message;
  }

  // sha256sum of a file (argv), or "" with a test failure.
  static std::string sha256(const fs::path& file) {
    auto summed = testing::run({"/usr/bin/sha256sum", file.string()});
    EXPECT_TRUE(summed.succeeded()) << summed.err;
    return summed.out.substr(0, summed.out.find(' '));
  }
  // sha256 of the RBD image's content as `rbd export` writes it.
  std::string rbdSha256(const std::string& image) {
    const fs::path out = base_ / (image + ".export");
    auto exported = rbd(conf_, {"export", "--no-progress", spec(image), out.string()});
    EXPECT_TRUE(exported.succeeded()) << exported.err;
    std::string sum = sha256(out);
    fs::remove(out);
    return sum;
  }

  static std::string conf_;
  static std::string ceph_pool_;
  static testing::CephCluster cluster_;
  std::shared_ptr<virt::Connection> connection_;
  StorageSettings settings_;
  fs::path base_;
};

std::string RbdStorage::conf_;
std::string RbdStorage::ceph_pool_;
testing::CephCluster RbdStorage::cluster_;

TEST_F(RbdStorage, PoolLifecycle) {
  const PoolState created = createPool();
  EXPECT_TRUE(created.active);
  EXPECT_TRUE(created.autostart);
  EXPECT_EQ(created.type, "cephrbd");
  EXPECT_EQ(created.url, "rbd:" + ceph_pool_);
  EXPECT_EQ(created.content, "vmd");
  // The cluster's own figure (the fixture waits until the manager reports it), not the test
  // driver's invented 100 GiB.
  auto df = testing::ceph(conf_, {"df", "--format", "json"});
  ASSERT_TRUE(df.succeeded()) << df.err;
  EXPECT_EQ(created.capacity,
            nlohmann::json::parse(df.out)["stats"]["total_bytes"].get<std::uint64_t>());
  EXPECT_GT(created.capacity, 0U);
  // The libvirt pool is an rbd pool on the Ceph pool, with the monitors as hosts.
  auto pool = connection_->lookupStoragePool("vmp");
  ASSERT_TRUE(pool.has_value());
  const std::string xml = pool->xml().value_or("");
  EXPECT_THAT(xml, HasSubstr("type='rbd'"));
  EXPECT_THAT(xml, HasSubstr(fmt::format("<name>{}</name>", ceph_pool_)));
  EXPECT_THAT(xml, HasSubstr("<host name='127.0.0.1' port='"));
  // The content marker is Ceph pool metadata, seen by every node.
  auto marker = storage().poolState("vmp");
  ASSERT_TRUE(marker.has_value()) << marker.error().message;
  EXPECT_EQ(marker->content, "vmd");

  auto again = storage().createPool({.name = "vmp", .type = "cephrbd", .url = "rbd:" + ceph_pool_});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);

  auto stopped = storage().stopPool("vmp", "cephrbd");
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  EXPECT_FALSE(stopped->active);
  auto refused = storage().createDisk("vmp", "cephrbd", "d", "8M", "");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("not active; start it with startPool"));
  ASSERT_TRUE(storage().startPool("vmp", "cephrbd")->active);
  EXPECT_FALSE(storage().setPoolAutostart("vmp", "cephrbd", false)->autostart);

  ASSERT_TRUE(storage().createDisk("vmp", "cephrbd", "d", "8M", "").has_value());
  auto busy = storage().deletePool("vmp", "cephrbd");
  ASSERT_FALSE(busy.has_value());
  EXPECT_THAT(busy.error().message, HasSubstr("still holds 1 RBD images"));
  ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", "d").has_value());
  ASSERT_TRUE(storage().deletePool("vmp", "cephrbd").has_value());
  EXPECT_FALSE(connection_->lookupStoragePool("vmp").has_value());
  EXPECT_TRUE(storage().deletePool("vmp", "cephrbd").has_value());  // idempotent
  // The marker went with the pool; the Ceph pool itself stays.
  EXPECT_EQ(rbd(conf_, {"ls", ceph_pool_}).exit_code, 0);
}

TEST_F(RbdStorage, UpstreamPoolRequestWithSourceName) {
  auto pool = storage().createPool({.name = "vmp",
                                    .type = "cephrbd",
                                    .url = "/var/lib/libvirt/cephrbdpool",
                                    .content = "vmd",
                                    .source_host = "127.0.0.1",
                                    .source_name = ceph_pool_});
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  EXPECT_EQ(pool->url, "rbd:" + ceph_pool_);
  EXPECT_FALSE(fs::exists("/var/lib/libvirt/cephrbdpool")) << "no local directory is made";
  auto missing = storage().createPool({.name = "vmp2", .type = "cephrbd", .url = "rbd:nosuchpool"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, HasSubstr("Ceph pool 'nosuchpool' does not exist"));
  EXPECT_FALSE(connection_->lookupStoragePool("vmp2").has_value());
}

TEST_F(RbdStorage, DiskCreateResizeCloneDelete) {
  createPool();
  auto disk = storage().createDisk("vmp", "cephrbd", "disk1", "64M", "");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  EXPECT_EQ(disk->current.string(), spec("disk1"));
  EXPECT_EQ(disk->format, "raw");
  EXPECT_EQ(disk->virtual_size, 64 * kMiB);
  const auto volume = volumeSpec(*disk, "cephrbd");
  EXPECT_EQ(volume["current"], spec("disk1"));
  EXPECT_EQ(volume["type"], "cephrbd");
  EXPECT_EQ(info("disk1")["size"], 64 * kMiB);

  auto qcow2 = storage().createDisk("vmp", "cephrbd", "disk2", "64M", "qcow2");
  ASSERT_FALSE(qcow2.has_value());
  EXPECT_THAT(qcow2.error().message, HasSubstr("RBD disks are raw images"));
  auto twice = storage().createDisk("vmp", "cephrbd", "disk1", "64M", "raw");
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, util::ErrorCode::AlreadyExists);
  auto bad_name = storage().createDisk("vmp", "cephrbd", "../disk", "64M", "raw");
  ASSERT_FALSE(bad_name.has_value());
  EXPECT_THAT(bad_name.error().message, HasSubstr("disk name '../disk' must not start with '.'"));

  auto grown = storage().resizeDisk("vmp", "cephrbd", "disk1", "128M");
  ASSERT_TRUE(grown.has_value()) << grown.error().message;
  EXPECT_EQ(grown->virtual_size, 128 * kMiB);
  EXPECT_EQ(info("disk1")["size"], 128 * kMiB);
  auto shrink = storage().resizeDisk("vmp", "cephrbd", "disk1", "64M");
  ASSERT_FALSE(shrink.has_value());
  EXPECT_THAT(shrink.error().message, HasSubstr("shrinking it"));

  write("disk1", "hello rbd");
  auto cloned = storage().cloneDisk("vmp", "cephrbd", "disk1", "disk1-copy", "");
  ASSERT_TRUE(cloned.has_value()) << cloned.error().message;
  EXPECT_EQ(cloned->virtual_size, 128 * kMiB);
  EXPECT_EQ(read("disk1-copy", 9), "hello rbd");
  EXPECT_FALSE(info("disk1-copy").contains("parent")) << "a clone of a disk is a full copy";

  // A domain that has the disk keeps it.
  defineUser("disk1");
  auto used = storage().deleteDisk("vmp", "cephrbd", "disk1");
  ASSERT_FALSE(used.has_value());
  EXPECT_THAT(used.error().message, HasSubstr("domain 'uvt-rbd-user' has it as 'vdb'"));
  ASSERT_TRUE(connection_->lookupDomain("uvt-rbd-user")->undefine().has_value());

  // The finalizer's delete request names no type: the libvirt pool says it is RBD.
  ASSERT_TRUE(storage().deleteDisk("vmp", "", "disk1").has_value());
  ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", "disk1-copy").has_value());
  EXPECT_TRUE(listImages().empty());
  auto gone = storage().deleteDisk("vmp", "cephrbd", "disk1");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, util::ErrorCode::NotFound);
}

TEST_F(RbdStorage, ImagesAndDisksFromThem) {
  createPool();
  // A qcow2 file under a path root, imported as a raw RBD image by qemu-img.
  const fs::path file = base_ / "base.qcow2";
  ASSERT_TRUE(
      testing::run({"/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", file.string(), "32M"})
          .succeeded());
  auto image = storage().createImage("vmp", "cephrbd", "base", file.string(), "qcow2");
  ASSERT_TRUE(image.has_value()) << image.error().message;
  EXPECT_EQ(image->current.string(), spec("base"));
  EXPECT_EQ(info("base")["size"], 32 * kMiB);
  auto snaps = rbdJson(conf_, {"snap", "ls", spec("base")});
  ASSERT_TRUE(snaps.is_array() && snaps.size() == 1U) << snaps.dump();
  EXPECT_EQ(snaps[0]["name"], kRbdBaseSnapshot);
  EXPECT_EQ(snaps[0]["protected"], "true");
  write("base", "golden");

  // The image is not a disk: disk operations refuse it.
  auto as_disk = storage().deleteDisk("vmp", "cephrbd", "base");
  ASSERT_FALSE(as_disk.has_value());
  EXPECT_THAT(as_disk.error().message, HasSubstr("is a disk image, not a disk"));

  // Clone of the protected snapshot (no copy), and a full copy.
  auto clone = storage().createDiskFromImage("vmp", "cephrbd", "vm1", spec("base"), false);
  ASSERT_TRUE(clone.has_value()) << clone.error().message;
  EXPECT_EQ(clone->backing_file, spec("base") + "@" + kRbdBaseSnapshot);
  EXPECT_EQ(info("vm1")["parent"]["image"], "base");
  auto copy = storage().createDiskFromImage("vmp", "cephrbd", "vm2", "rbd:" + spec("base"), true);
  ASSERT_TRUE(copy.has_value()) << copy.error().message;
  EXPECT_FALSE(info("vm2").contains("parent"));
  EXPECT_EQ(copy->backing_file, "");
  // Writes to the image after its base snapshot are not in the clone (which reads the snapshot)
  // but are in the full copy (of the image's head).
  EXPECT_EQ(read("vm2", 6), "golden");
  EXPECT_EQ(read("vm1", 6), std::string(6, '\0'));

  // From a file: imported; an overlay of a file is not possible on RBD.
  auto from_file = storage().createDiskFromImage("vmp", "cephrbd", "vm3", file.string(), true);
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  auto overlay = storage().createDiskFromImage("vmp", "cephrbd", "vm4", file.string(), false);
  ASSERT_FALSE(overlay.has_value());
  EXPECT_THAT(overlay.error().message, HasSubstr("request full-copy"));
  auto escape = storage().createDiskFromImage("vmp", "cephrbd", "vm4", "../../etc/passwd", true);
  ASSERT_FALSE(escape.has_value());
  EXPECT_THAT(escape.error().message, HasSubstr("not an absolute path"));

  // An image with clones is not deleted; once they are gone it is.
  auto busy = storage().deleteImage("vmp", "cephrbd", "base");
  ASSERT_FALSE(busy.has_value());
  EXPECT_THAT(busy.error().message, HasSubstr("are clones of it"));
  EXPECT_EQ(busy.error().code, util::ErrorCode::Conflict);
  ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", "vm1").has_value());

  // An image from a disk: a flat copy with its own base snapshot.
  auto from_disk = storage().createImageFromDisk("vmp", "vm2", "vmp", "cephrbd", "golden2");
  ASSERT_TRUE(from_disk.has_value()) << from_disk.error().message;
  EXPECT_EQ(read("golden2", 6), "golden");
  EXPECT_EQ(snapshots("golden2"), std::vector<std::string>{kRbdBaseSnapshot});

  for (const char* image_name : {"base", "golden2"}) {
    auto removed = storage().deleteImage("vmp", "", image_name);
    ASSERT_TRUE(removed.has_value()) << removed.error().message;
  }
  for (const char* disk : {"vm2", "vm3"}) {
    ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", disk).has_value());
  }
  EXPECT_TRUE(listImages().empty());
}

TEST_F(RbdStorage, InternalSnapshots) {
  createPool();
  ASSERT_TRUE(storage().createDisk("vmp", "cephrbd", "d", "16M", "").has_value());
  write("d", "before");
  using Action = Storage::SnapshotAction;
  auto made = storage().internalSnapshot(Action::Create, "vmp", "cephrbd", "d", "s1");
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(snapshots("d"), std::vector<std::string>{"s1"});
  auto twice = storage().internalSnapshot(Action::Create, "vmp", "cephrbd", "d", "s1");
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, util::ErrorCode::AlreadyExists);
  auto reserved =
      storage().internalSnapshot(Action::Create, "vmp", "cephrbd", "d", kRbdBaseSnapshot);
  ASSERT_FALSE(reserved.has_value());
  EXPECT_THAT(reserved.error().message, HasSubstr("is reserved"));

  write("d", "after!");
  ASSERT_TRUE(storage().internalSnapshot(Action::Revert, "vmp", "cephrbd", "d", "s1").has_value());
  EXPECT_EQ(read("d", 6), "before");
  ASSERT_TRUE(storage().internalSnapshot(Action::Delete, "vmp", "cephrbd", "d", "s1").has_value());
  EXPECT_TRUE(snapshots("d").empty());
  auto missing = storage().internalSnapshot(Action::Revert, "vmp", "cephrbd", "d", "s1");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, util::ErrorCode::NotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("has no snapshot 's1'"));
  ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", "d").has_value());
}

TEST_F(RbdStorage, ExternalSnapshotsAreRbdSnapshots) {
  createPool();
  ASSERT_TRUE(storage().createDisk("vmp", "cephrbd", "d", "16M", "").has_value());
  using Action = Storage::SnapshotAction;
  write("d", "one");
  auto s1 = storage().externalSnapshot(Action::Create, "vmp", "cephrbd", "d", "s1");
  ASSERT_TRUE(s1.has_value()) << s1.error().message;
  EXPECT_EQ(s1->current.string(), spec("d")) << "the image itself stays current";
  write("d", "two");
  ASSERT_TRUE(storage().externalSnapshot(Action::Create, "vmp", "cephrbd", "d", "s2").has_value());
  write("d", "3!!");
  EXPECT_EQ(snapshots("d"), (std::vector<std::string>{"s1", "s2"}));

  // Revert to s1: what was written since goes, and so does the newer snapshot s2.
  auto reverted = storage().externalSnapshot(Action::Revert, "vmp", "cephrbd", "d", "s1");
  ASSERT_TRUE(reverted.has_value()) << reverted.error().message;
  EXPECT_EQ(read("d", 3), "one");
  EXPECT_EQ(snapshots("d"), std::vector<std::string>{"s1"});

  // Delete keeps the data written since the snapshot.
  write("d", "new");
  ASSERT_TRUE(storage().externalSnapshot(Action::Delete, "vmp", "", "d", "s1").has_value());
  EXPECT_TRUE(snapshots("d").empty());
  EXPECT_EQ(read("d", 3), "new");
  auto gone = storage().externalSnapshot(Action::Delete, "vmp", "cephrbd", "d", "s1");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, util::ErrorCode::NotFound);

  // A disk with snapshots is deleted with them.
  ASSERT_TRUE(storage().externalSnapshot(Action::Create, "vmp", "cephrbd", "d", "s3").has_value());
  ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", "d").has_value());
  EXPECT_TRUE(listImages().empty());
}

TEST_F(RbdStorage, RawFilesAndRbdImagesCopySparselyThroughLibrbd) {
  createPool();
  auto files = storage().createPool(
      {.name = "files", .type = "localfs", .url = (base_ / "files").string(), .content = "vmdi"});
  ASSERT_TRUE(files.has_value()) << files.error().message;
  // A raw file: 1 MiB of data, a 12 MiB hole, 300 KiB of data (the size is no multiple of the
  // 4 MiB object size).
  const fs::path file = base_ / "golden.raw";
  {
    std::ofstream out(file, std::ios::binary);
    std::string head(1U << 20, '\0');
    for (std::size_t i = 0; i < head.size(); ++i) {
      head[i] = static_cast<char>('a' + (i * 7) % 26);
    }
    out << head;
    out.seekp(static_cast<std::streamoff>(13U << 20));
    out << std::string(300U << 10, 'z');
  }
  const std::string file_sum = sha256(file);

  // File → RBD image (createDiskImage) and → RBD disk (createDiskFromDiskImage, full copy):
  // raw files go through librbd, and only the objects holding data are written.
  auto image = storage().createImage("vmp", "cephrbd", "golden", file.string(), "qcow2");
  ASSERT_TRUE(image.has_value()) << image.error().message;
  EXPECT_EQ(info("golden")["size"], fs::file_size(file));
  EXPECT_EQ(rbdSha256("golden"), file_sum);
  auto disk = storage().createDiskFromImage("vmp", "cephrbd", "fromfile", file.string(), true);
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  EXPECT_EQ(rbdSha256("fromfile"), file_sum);
  auto objects = testing::run({"/usr/bin/rados", "--conf", conf_, "-p", ceph_pool_, "ls"});
  ASSERT_TRUE(objects.succeeded()) << objects.err;
  const std::string data_prefix = info("fromfile")["block_name_prefix"].get<std::string>() + ".";
  std::size_t data_objects = 0;
  for (std::size_t at = objects.out.find(data_prefix); at != std::string::npos;
       at = objects.out.find(data_prefix, at + 1)) {
    ++data_objects;
  }
  EXPECT_EQ(data_objects, 2U) << "objects 0 and 3 of 4 hold data; the hole wrote none";

  // RBD disk → image file in a directory pool (createDiskImageFromDisk): a sparse raw file
  // with the content `rbd export` gives.
  auto exported = storage().createImageFromDisk("vmp", "fromfile", "files", "cephrbd", "copy");
  ASSERT_TRUE(exported.has_value()) << exported.error().message;
  const fs::path copy = base_ / "files" / "copy" / "copy";
  EXPECT_EQ(exported->current, copy);
  EXPECT_EQ(exported->format, "raw");
  EXPECT_EQ(sha256(copy), rbdSha256("fromfile"));
  EXPECT_TRUE(fs::exists(base_ / "files" / "copy" / "config.json"));
  struct stat sparse {};
  ASSERT_EQ(::stat(copy.c_str(), &sparse), 0);
  EXPECT_LT(static_cast<std::uint64_t>(sparse.st_blocks) * 512U, 4U << 20)
      << "the 12 MiB hole stays a hole";

  // A clone reads through its parent: its export is the parent's content plus its own writes.
  auto clone = storage().createDiskFromImage("vmp", "cephrbd", "clone", spec("golden"), false);
  ASSERT_TRUE(clone.has_value()) << clone.error().message;
  write("clone", "own bytes");
  auto from_clone = storage().createImageFromDisk("vmp", "clone", "files", "cephrbd", "fromclone");
  ASSERT_TRUE(from_clone.has_value()) << from_clone.error().message;
  EXPECT_EQ(sha256(from_clone->current), rbdSha256("clone"));
  EXPECT_NE(sha256(from_clone->current), file_sum);

  // The target exists already: refused, nothing changed; a disk image is not a disk.
  auto again = storage().createImageFromDisk("vmp", "fromfile", "files", "cephrbd", "copy");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);
  auto not_disk = storage().createImageFromDisk("vmp", "golden", "files", "cephrbd", "x");
  ASSERT_FALSE(not_disk.has_value());
  EXPECT_FALSE(fs::exists(base_ / "files" / "x"));

  for (const char* name : {"copy", "fromclone"}) {
    ASSERT_TRUE(storage().deleteImage("files", "localfs", name).has_value());
  }
  for (const char* name : {"clone", "fromfile"}) {
    ASSERT_TRUE(storage().deleteDisk("vmp", "cephrbd", name).has_value());
  }
  ASSERT_TRUE(storage().deleteImage("vmp", "cephrbd", "golden").has_value());
}

TEST_F(RbdStorage, TheCephxKeyForLibvirtIsTheClientsKey) {
  // The fixture's cluster requires cephx; the key libvirt's secret gets is client.admin's.
  RbdSettings settings;
  settings.conf = conf_;
  auto cluster = RbdCluster::shared(settings);
  ASSERT_TRUE(cluster.has_value()) << cluster.error().message;
  auto key = (*cluster)->cephxKey();
  ASSERT_TRUE(key.has_value()) << key.error().message;
  ASSERT_TRUE(key->has_value()) << "cephx is on: a key is expected";
  EXPECT_EQ((*key)->user, "admin");
  auto expected = testing::ceph(conf_, {"auth", "get-key", "client.admin"});
  ASSERT_TRUE(expected.succeeded()) << expected.err;
  EXPECT_EQ((*key)->key_base64, expected.out.substr(0, expected.out.find_last_not_of("\n ") + 1));
}

}  // namespace
}  // namespace univirt::sdsctl
