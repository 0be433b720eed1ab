// The storage operations as users request them: the upstream example requests
// (tests/fixtures/upstream-examples/VMP-*, VMD-*, VMDI-*, VMDSN-*), with only the node name,
// paths and pool names adapted to this machine, applied with the real kubectl to a real
// kube-lite; the lifecycle engine with the production rows carries them out on
// test:///default in this process. Each step reads the outcome back from the object and checks
// the files on disk.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "integration/sdsctl/engine_harness.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kNode = "sds-node";

class StorageThroughEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = testing::startStorageKubeLite(); }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    if (!fs::exists("/usr/bin/qemu-img")) {
      GTEST_SKIP() << "qemu-utils is not installed (apt-get install qemu-utils)";
    }
    std::string pattern = (fs::temp_directory_path() / "univirt-sds-engine.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern);
    fs::create_directories(dir_ / "iso");
    ns_ = fmt::format("sds-{}", ++counter_);
    StorageSettings settings;
    settings.path_roots = {(dir_ / "iso").string()};
    engine_ = std::make_unique<testing::StorageEngine>(*server_, ns_, kNode, std::move(settings));
    ASSERT_EQ(engine_->error(), "");
    engine_->cleanUpPool("ljx");
    engine_->cleanUpPool("pooltest");
  }

  void TearDown() override {
    engine_.reset();
    for (const auto& mounted : mounts_) {
      ::umount2(mounted.c_str(), MNT_DETACH);
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }

  // A fresh engine (in a fresh namespace) with other settings.
  void restartWith(StorageSettings settings) {
    engine_.reset();
    ns_ = fmt::format("sds-{}", ++counter_);
    engine_ = std::make_unique<testing::StorageEngine>(*server_, ns_, kNode, std::move(settings));
    ASSERT_EQ(engine_->error(), "");
    engine_->cleanUpPool("ljx");
    engine_->cleanUpPool("pooltest");
  }

  // An upstream example with this node, this namespace and `adapt` applied to its request.
  nlohmann::json example(const std::string& file,
                         const std::function<void(nlohmann::json& object)>& adapt = {}) {
    std::ifstream in(
        fmt::format("{}/tests/fixtures/upstream-examples/{}", UNIVIRT_SOURCE_DIR, file));
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json object = nlohmann::json::parse(text.str());
    object["metadata"]["labels"]["host"] = kNode;
    object["metadata"]["namespace"] = ns_;
    object["spec"]["nodeName"] = kNode;
    if (adapt) {
      adapt(object);
    }
    return object;
  }

  static nlohmann::json& requestOf(nlohmann::json& object) {
    return object["spec"]["lifecycle"].begin().value();
  }

  kube::Object outcome(const std::string& kind, const std::string& name,
                       const std::string& operation) {
    return engine_->outcome(kind, name, operation);
  }
  kube::Object run(const nlohmann::json& object) { return engine_->run(object); }

  kube::Object expectSuccess(const nlohmann::json& object) {
    kube::Object done = run(object);
    if (!done.is_null() && !done.empty()) {
      EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Succeeded")
          << object["spec"]["lifecycle"].begin().key() << ": " << done["spec"]["status"].dump();
      EXPECT_EQ(done["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Ready");
    }
    return done;
  }

  std::string failureOf(const nlohmann::json& object) {
    kube::Object done = run(object);
    EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Failed") << done.dump();
    return done["spec"]["status"]["conditions"]["state"]["waiting"].value("message", "");
  }

  nlohmann::json pool(const std::string& name, const std::string& content) {
    return example("VMP-CreateLocalVMPool.json", [&](nlohmann::json& object) {
      object["metadata"]["name"] = name;
      requestOf(object)["url"] = (dir_ / name).string();
      requestOf(object)["content"] = content;
    });
  }

  kube::Object get(const std::string& kind, const std::string& name) {
    return engine_->get(kind, name);
  }

  static inline std::unique_ptr<univirt::testing::KubeLiteProcess> server_;
  static inline int counter_ = 0;
  fs::path dir_;
  std::string ns_;
  std::vector<std::string> mounts_;
  std::unique_ptr<testing::StorageEngine> engine_;
};

TEST_F(StorageThroughEngine, UpstreamExamplesRunInOrder) {
  // VMP-CreateLocalVMPool.json as it is (pool ljx, content vmdi), url in the temp dir.
  auto ljx = expectSuccess(example("VMP-CreateLocalVMPool.json", [&](nlohmann::json& object) {
    requestOf(object)["url"] = (dir_ / "ljx").string();
  }));
  EXPECT_EQ(ljx["spec"]["pool"]["state"], "active");
  EXPECT_EQ(ljx["spec"]["pool"]["content"], "vmdi");
  EXPECT_EQ(ljx["spec"]["pool"]["autostart"], true);
  EXPECT_EQ(ljx["spec"]["pool"]["url"], (dir_ / "ljx").string());
  EXPECT_TRUE(fs::exists(dir_ / "ljx" / "content"));
  // The pool the disk examples name.
  expectSuccess(pool("pooltest", "vmd"));

  auto disk = expectSuccess(example("VMD-CreateVMDisk.json"));
  const fs::path base = dir_ / "pooltest" / "disktest" / "disktest";
  EXPECT_EQ(disk["spec"]["volume"]["current"], base.string());
  EXPECT_EQ(disk["spec"]["volume"]["format"], "qcow2");
  EXPECT_EQ(disk["spec"]["volume"]["capacity"], 10ULL << 30);
  EXPECT_EQ(disk["spec"]["volume"]["vm"], "");
  EXPECT_TRUE(fs::exists(base));
  EXPECT_TRUE(fs::exists(dir_ / "pooltest" / "disktest" / "config.json"));

  auto resized = expectSuccess(example("VMD-ResizeDisk.json", [](nlohmann::json& object) {
    object["metadata"]["name"] = "disktest";
    requestOf(object)["type"] = "localfs";
    requestOf(object)["pool"] = "pooltest";
  }));
  EXPECT_EQ(resized["spec"]["volume"]["capacity"], 21737418240ULL);

  std::ofstream(dir_ / "iso" / "centos7-minimal-1810.iso") << std::string(4096, 'c');
  auto image = expectSuccess(example("VMDI-CreateVMDI.json", [&](nlohmann::json& object) {
    requestOf(object)["source"] = (dir_ / "iso" / "centos7-minimal-1810.iso").string();
    requestOf(object)["targetPool"] = "ljx";
  }));
  EXPECT_EQ(image["spec"]["volume"]["current"],
            (dir_ / "ljx" / "centos7-iso" / "centos7-iso").string());

  auto adapt_snapshot = [](nlohmann::json& object) {
    requestOf(object)["type"] = "localfs";
    requestOf(object)["pool"] = "pooltest";
    requestOf(object)["source"] = "disktest";
  };
  auto snapshot = expectSuccess(example("VMDSN-CreateVMDSnapshot.json", adapt_snapshot));
  const fs::path overlay = dir_ / "pooltest" / "disktest" / "backuptest1-snapshot";
  EXPECT_EQ(snapshot["spec"]["volume"]["filename"], overlay.string());
  EXPECT_EQ(snapshot["spec"]["volume"]["full_backing_filename"], base.string());
  EXPECT_EQ(snapshot["spec"]["volume"]["disk"], "disktest");
  EXPECT_EQ(get(kDiskKind, "disktest")["spec"]["volume"]["current"], overlay.string())
      << "the source VirtualMachineDisk follows the overlay chain";

  expectSuccess(example("VMDSN-RevertVMDSnapshot.json", adapt_snapshot));
  EXPECT_EQ(get(kDiskKind, "disktest")["spec"]["volume"]["current"], overlay.string());

  EXPECT_TRUE(run(example("VMDSN-DeleteVMDSnapshot.json", adapt_snapshot)).empty())
      << "deleteDiskExternalSnapshot removes the object";
  EXPECT_FALSE(fs::exists(overlay));
  EXPECT_EQ(get(kDiskKind, "disktest")["spec"]["volume"]["current"], base.string());

  EXPECT_TRUE(run(example("VMDI-DeleteVMDI.json", [](nlohmann::json& object) {
                object["metadata"]["name"] = "centos7-iso";
                requestOf(object)["sourcePool"] = "ljx";
              })).empty());
  EXPECT_FALSE(fs::exists(dir_ / "ljx" / "centos7-iso"));

  EXPECT_TRUE(run(example("VMD-DeleteVMDisk.json")).empty());
  EXPECT_FALSE(fs::exists(dir_ / "pooltest" / "disktest"));

  EXPECT_TRUE(run(example("VMP-DeleteVMPool.json")).empty());
  EXPECT_FALSE(engine_->connection().lookupStoragePool("pooltest").has_value());
  EXPECT_FALSE(fs::exists(dir_ / "pooltest"));
}

TEST_F(StorageThroughEngine, KubectlDeleteCleansUpTheDiskBeforeTheObjectGoes) {
  expectSuccess(pool("pooltest", "vmd"));
  auto disk = expectSuccess(example("VMD-CreateVMDisk.json", [](nlohmann::json& object) {
    requestOf(object)["capacity"] = "16M";
  }));
  EXPECT_THAT(disk["metadata"]["finalizers"].dump(), HasSubstr(kCleanupFinalizer));
  const fs::path dir = dir_ / "pooltest" / "disktest";
  ASSERT_TRUE(fs::exists(dir));
  // --wait returns once the object is gone, which the finalizer allows only after cleanup.
  auto deleted = server_->kubectl({"delete", "-n", ns_, "vmd", "disktest", "--wait=true"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_FALSE(fs::exists(dir)) << "the files went before the VirtualMachineDisk did";
}

TEST_F(StorageThroughEngine, AFailedCleanupKeepsTheObject) {
  expectSuccess(pool("pooltest", "vmd"));
  expectSuccess(example("VMD-CreateVMDisk.json",
                        [](nlohmann::json& object) { requestOf(object)["capacity"] = "16M"; }));
  const fs::path file = dir_ / "pooltest" / "disktest" / "disktest";
  const std::string domain_name = fmt::format("uvt-sds-finalizer-{}", ::getpid());
  auto domain = engine_->connection().defineDomain(fmt::format(
      "<domain type='test'><name>{}</name><memory>131072</memory><os><type>hvm</type></os>"
      "<devices><disk type='file' device='disk'><source file='{}'/><target dev='vda'/></disk>"
      "</devices></domain>",
      domain_name, file.string()));
  ASSERT_TRUE(domain.has_value()) << domain.error().message;

  auto deleting = server_->kubectl({"delete", "-n", ns_, "vmd", "disktest", "--wait=false"});
  ASSERT_EQ(deleting.exit_code, 0) << deleting.err;
  // The cleanup is refused (a defined VM has the disk): a Warning Event, the object stays.
  bool warned = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!warned && std::chrono::steady_clock::now() < deadline) {
    auto events =
        engine_->client().list(kube::ResourceRef{"events.k8s.io", "v1", "events", true}, ns_);
    for (const auto& event : events.has_value() ? events->items : std::vector<kube::Object>{}) {
      warned = warned || (event.value("type", "") == "Warning" &&
                          event.value("note", "").find(fmt::format("domain '{}'", domain_name)) !=
                              std::string::npos);
    }
    if (!warned) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(warned) << "a Warning Event explains why the object stays";
  auto kept = get(kDiskKind, "disktest");
  ASSERT_FALSE(kept.empty());
  EXPECT_TRUE(kept["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(fs::exists(file));

  // Once the VM is gone, any change to the object (or the next resync) finishes the delete.
  ASSERT_TRUE(domain->undefine().has_value());
  ASSERT_EQ(server_->kubectl({"annotate", "-n", ns_, "vmd", "disktest", "retry=1"}).exit_code, 0);
  EXPECT_TRUE(outcome(kDiskKind, "disktest", "never").empty()) << "the object went";
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(StorageThroughEngine, CephRbdPoolWithoutCephPoolIsRefusedClearly) {
  // A directory url and no source-name: no Ceph pool named (the RBD operations themselves run
  // against a real cluster in rbd_engine_test.cpp).
  nlohmann::json request = pool("rbdpool", "vmd");
  requestOf(request)["type"] = "cephrbd";
  const std::string message = failureOf(request);
  EXPECT_THAT(message, HasSubstr("a cephrbd pool needs its Ceph pool"));
}

TEST_F(StorageThroughEngine, PathEscapesAndBadCapacitiesAreRefused) {
  expectSuccess(pool("pooltest", "vmd"));
  const std::string capacity = failureOf(example(
      "VMD-CreateVMDisk.json", [](nlohmann::json& o) { requestOf(o)["capacity"] = "10 G"; }));
  EXPECT_THAT(capacity, HasSubstr("capacity '10 G' is invalid"));

  for (const std::string source : {"../../etc/passwd", "/etc/passwd"}) {
    nlohmann::json request = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", kDiskKind},
        {"metadata", {{"name", "escape"}, {"namespace", ns_}, {"labels", {{"host", kNode}}}}},
        {"spec",
         {{"nodeName", kNode},
          {"lifecycle",
           {{"createDiskFromDiskImage",
             {{"targetPool", "pooltest"}, {"source", source}, {"full-copy", true}}}}}}}};
    const std::string message = failureOf(request);
    EXPECT_THAT(message, HasSubstr(fmt::format("source '{}' is refused", source)));
  }
  EXPECT_FALSE(fs::exists(dir_ / "pooltest" / "escape"));
}

TEST_F(StorageThroughEngine, ImageHubUploadAndDownload) {
  // A tmpfs stands in for the NFS share (no nfsd runs here), accepted as `nfs` and configured
  // as a path root like the directory of the share would be.
  const fs::path share = dir_ / "nfspool";
  fs::create_directories(share);
  if (::mount("tmpfs", share.c_str(), "tmpfs", 0, "size=64m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounts_.push_back(share.string());
  StorageSettings settings;
  settings.path_roots = {(dir_ / "iso").string(), share.string()};
  settings.file.mount_fs_types[PoolType::Nfs].push_back("tmpfs");
  restartWith(std::move(settings));

  expectSuccess(pool("pooltest", "vmdi"));
  std::ofstream(dir_ / "iso" / "hub.iso") << std::string(8192, 'h');
  expectSuccess(engine_->object(kImageKind, "diskhub111-image", "createDiskImage",
                                {{"type", "localfs"},
                                 {"imageType", "iso"},
                                 {"targetPool", "pooltest"},
                                 {"source", (dir_ / "iso" / "hub.iso").string()}}));
  const auto before = get(kImageKind, "diskhub111-image")["spec"]["volume"];

  // Upstream's sdsctl/test/nfs/image/03-UploadDiskImage.json, target-path adapted.
  auto uploaded = expectSuccess(
      engine_->object(kImageKind, "diskhub111-image", "uploadDiskImage",
                      {{"type", "nfs"}, {"pool", "pooltest"}, {"target-path", share.string()}}));
  ASSERT_TRUE(fs::exists(share / "diskhub111-image"));
  EXPECT_EQ(fs::file_size(share / "diskhub111-image"), 8192U);
  EXPECT_EQ(uploaded["spec"]["volume"], before) << "upload leaves .spec.volume as it is";

  // Upstream's sdsctl/test/nfs/image/04-DownloadDiskImage.json, source-path adapted.
  auto downloaded =
      expectSuccess(engine_->object(kImageKind, "image-download", "downloadDiskImage",
                                    {{"type", "nfs"},
                                     {"pool", "pooltest"},
                                     {"source-path", (share / "diskhub111-image").string()}}));
  const fs::path copy = dir_ / "pooltest" / "image-download" / "image-download";
  EXPECT_EQ(downloaded["spec"]["volume"]["current"], copy.string());
  EXPECT_EQ(downloaded["spec"]["volume"]["pool"], "pooltest");
  EXPECT_EQ(downloaded["spec"]["volume"]["format"], "raw");
  EXPECT_EQ(downloaded["spec"]["volume"]["type"], "localfs");
  EXPECT_EQ(downloaded["spec"]["volume"]["source-path"],
            "nfs:" + (share / "diskhub111-image").string());
  EXPECT_EQ(fs::file_size(copy), 8192U);

  // Upstream's sdsctl/test/cephrgw/image/03-UploadDiskImage.json: refused, nothing written.
  const std::string rgw = failureOf(engine_->object(
      kImageKind, "diskhub111-image", "uploadDiskImage",
      {{"type", "cephrgw"}, {"pool", "pooltest"}, {"target-path", "/wanna/diskhub111-image2"}}));
  EXPECT_THAT(rgw, HasSubstr("'cephrgw' (a Ceph RGW S3 bucket) is not supported"));

  // A path outside the roots is refused.
  const std::string escape = failureOf(
      engine_->object(kImageKind, "escaped", "downloadDiskImage",
                      {{"type", "nfs"}, {"pool", "pooltest"}, {"source-path", "/etc/passwd"}}));
  EXPECT_THAT(escape, HasSubstr("source-path '/etc/passwd' is refused"));
  EXPECT_FALSE(fs::exists(dir_ / "pooltest" / "escaped"));

  // kubectl delete of a downloaded image removes its files through the finalizer.
  engine_->deleteAndWait("vmdi", "image-download", kImageKind);
  EXPECT_FALSE(fs::exists(copy.parent_path()));
  engine_->deleteAndWait("vmdi", "diskhub111-image", kImageKind);
}

}  // namespace
}  // namespace univirt::sdsctl
