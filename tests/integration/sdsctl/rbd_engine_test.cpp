// Ceph RBD storage as users request it: VirtualMachinePool / Disk / DiskImage / DiskSnapshot
// objects applied with the real kubectl to a real kube-lite, carried out by the lifecycle
// engine with the production rows on test:///default (pool definitions, in this process) and
// the real single-node Ceph cluster of the `univirt_ceph` fixture (the RBD images). Deleting
// the objects with kubectl goes through the storage-cleanup finalizer and removes the images.
// Results are read back with the real `rbd` command.

#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/sdsctl/engine_harness.h"
#include "integration/sdsctl/rbd_test_support.h"
#include "sdsctl/rbd_backend.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::rbdJson;

constexpr const char* kNode = "rbd-node";

class RbdThroughEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = testing::findCephCluster();
    conf_ = cluster_.conf;
    if (conf_.empty()) {
      return;
    }
    ceph_pool_ = testing::uniquePoolName("uvt-eng");
    if (!testing::createCephPool(conf_, ceph_pool_)) {
      cluster_.error = "cannot create Ceph pool " + ceph_pool_;
      conf_.clear();
      return;
    }
    server_ = testing::startStorageKubeLite();
  }
  static void TearDownTestSuite() {
    server_.reset();
    if (!conf_.empty()) {
      testing::deleteCephPool(conf_, ceph_pool_);
    }
  }

  void SetUp() override {
    UNIVIRT_REQUIRE_CEPH(cluster_);
    ASSERT_NE(server_, nullptr);
    std::string pattern = (fs::temp_directory_path() / "univirt-rbd-engine.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern);
    StorageSettings settings;
    settings.path_roots = {dir_.string()};
    settings.rbd.conf = conf_;
    engine_ = std::make_unique<testing::StorageEngine>(*server_, "rbd-engine", kNode,
                                                       std::move(settings));
    ASSERT_EQ(engine_->error(), "");
    engine_->cleanUpPool("cephrbdpool");
  }

  void TearDown() override {
    engine_.reset();
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  nlohmann::json object(const std::string& kind, const std::string& name,
                        const std::string& operation, nlohmann::json params) {
    return engine_->object(kind, name, operation, std::move(params));
  }

  kube::Object expectSuccess(const nlohmann::json& request) {
    kube::Object done = engine_->run(request);
    EXPECT_FALSE(done.empty());
    if (!done.empty()) {
      EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Succeeded")
          << request["spec"]["lifecycle"].begin().key() << ": " << done["spec"]["status"].dump();
    }
    return done;
  }

  void deleteAndWait(const std::string& resource, const std::string& name,
                     const std::string& kind) {
    engine_->deleteAndWait(resource, name, kind);
  }

  std::vector<std::string> images() {
    std::vector<std::string> names;
    auto listed = rbdJson(conf_, {"ls", ceph_pool_});
    for (const auto& name : listed.is_array() ? listed : nlohmann::json::array()) {
      names.push_back(name.get<std::string>());
    }
    return names;
  }

  static inline std::unique_ptr<univirt::testing::KubeLiteProcess> server_;
  static inline std::string conf_;
  static inline std::string ceph_pool_;
  static inline testing::CephCluster cluster_;
  fs::path dir_;
  std::unique_ptr<testing::StorageEngine> engine_;
};

TEST_F(RbdThroughEngine, PoolDiskImageSnapshotLifecycleAndCleanup) {
  // Upstream's sdsctl/test/cephrbd/pool/01-CreateCephrbdVMPool.json, node and Ceph pool
  // adapted (source-host is recorded; the monitors come from ceph.conf).
  auto pool = expectSuccess(object(kPoolKind, "cephrbdpool", "createPool",
                                   {{"type", "cephrbd"},
                                    {"url", "/var/lib/libvirt/cephrbdpool"},
                                    {"content", "vmd"},
                                    {"auto-start", "false"},
                                    {"source-host", "127.0.0.1:6789"},
                                    {"source-name", ceph_pool_}}));
  EXPECT_EQ(pool["spec"]["pool"]["state"], "active");
  EXPECT_EQ(pool["spec"]["pool"]["type"], "cephrbd");
  EXPECT_EQ(pool["spec"]["pool"]["content"], "vmd");
  EXPECT_EQ(pool["spec"]["pool"]["sourceName"], ceph_pool_);

  auto disk =
      expectSuccess(object(kDiskKind, "rbddisk", "createDisk",
                           {{"type", "cephrbd"}, {"pool", "cephrbdpool"}, {"capacity", "64M"}}));
  const std::string spec = ceph_pool_ + "/rbddisk";
  EXPECT_EQ(disk["spec"]["volume"]["current"], spec);
  EXPECT_EQ(disk["spec"]["volume"]["format"], "raw");
  EXPECT_EQ(disk["spec"]["volume"]["type"], "cephrbd");
  EXPECT_EQ(disk["spec"]["volume"]["capacity"], 64ULL << 20);
  EXPECT_EQ(rbdJson(conf_, {"info", spec})["size"], 64ULL << 20);

  auto resized =
      expectSuccess(object(kDiskKind, "rbddisk", "resizeDisk",
                           {{"type", "cephrbd"}, {"pool", "cephrbdpool"}, {"capacity", "96M"}}));
  EXPECT_EQ(resized["spec"]["volume"]["capacity"], 96ULL << 20);

  auto snapshot =
      expectSuccess(object(kSnapshotKind, "snap1", "createDiskExternalSnapshot",
                           {{"type", "cephrbd"}, {"pool", "cephrbdpool"}, {"source", "rbddisk"}}));
  EXPECT_EQ(snapshot["spec"]["volume"]["disk"], "rbddisk");
  auto snaps = rbdJson(conf_, {"snap", "ls", spec});
  ASSERT_TRUE(snaps.is_array() && snaps.size() == 1U) << snaps.dump();
  EXPECT_EQ(snaps[0]["name"], "snap1");

  // A disk image from a file, and a disk cloned from it.
  const fs::path file = dir_ / "base.raw";
  ASSERT_TRUE(testing::run({"/usr/bin/qemu-img", "create", "-q", "-f", "raw", file.string(), "8M"})
                  .succeeded());
  auto image = expectSuccess(
      object(kImageKind, "baseimg", "createDiskImage",
             {{"type", "cephrbd"}, {"targetPool", "cephrbdpool"}, {"source", file.string()}}));
  EXPECT_EQ(image["spec"]["volume"]["current"], ceph_pool_ + "/baseimg");
  auto clone = expectSuccess(object(
      kDiskKind, "vm1disk", "createDiskFromDiskImage",
      {{"type", "cephrbd"}, {"targetPool", "cephrbdpool"}, {"source", ceph_pool_ + "/baseimg"}}));
  EXPECT_EQ(clone["spec"]["volume"]["full_backing_filename"],
            ceph_pool_ + "/baseimg@" + kRbdBaseSnapshot);
  EXPECT_EQ(rbdJson(conf_, {"info", ceph_pool_ + "/vm1disk"})["parent"]["image"], "baseimg");

  // kubectl delete: the finalizer runs the delete operations, which remove the RBD storage.
  deleteAndWait("vmdsn", "snap1", kSnapshotKind);
  EXPECT_TRUE(rbdJson(conf_, {"snap", "ls", spec}).empty());
  deleteAndWait("vmd", "vm1disk", kDiskKind);
  deleteAndWait("vmdi", "baseimg", kImageKind);
  deleteAndWait("vmd", "rbddisk", kDiskKind);
  EXPECT_TRUE(images().empty()) << rbdJson(conf_, {"ls", ceph_pool_}).dump();
  // deletePool went the RBD way (the finalizer's request names no type): the content marker
  // in the Ceph pool's metadata goes with the libvirt pool.
  RbdSettings settings;
  settings.conf = conf_;
  RbdBackend backend(settings);
  const PoolContext marker{
      .name = "cephrbdpool", .type = PoolType::CephRbd, .rbd_pool = ceph_pool_};
  EXPECT_EQ(backend.content(marker).value_or("?"), "vmd");
  deleteAndWait("vmp", "cephrbdpool", kPoolKind);
  EXPECT_EQ(backend.content(marker).value_or("?"), "");
  EXPECT_FALSE(engine_->connection().lookupStoragePool("cephrbdpool").has_value());
}

}  // namespace
}  // namespace univirt::sdsctl
