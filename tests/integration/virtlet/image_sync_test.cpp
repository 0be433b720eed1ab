// Image pools (crd-contract.md §5.2, pool rows): a temporary directory is the target of a dir
// pool in libvirt's test driver; files appearing and disappearing there create and delete
// VirtualMachineDiskImages. Two ImageSyncs stand for two nodes sharing the pool directory.

#include "virtlet/image_sync.h"

#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

using namespace std::chrono_literals;
using testing::waitFor;

constexpr const char* kUri = "test:///default";

class ImageSyncTest : public testing::VirtletTest {
 protected:
  void SetUp() override {
    VirtletTest::SetUp();
    auto connection = virt::Connection::open(kUri);
    ASSERT_TRUE(connection.has_value());
    connection_ = std::make_shared<virt::Connection>(std::move(*connection));
    // The test driver's own pool points at a directory that does not exist here; stopped,
    // it is no image pool and not an unreadable one either.
    if (auto builtin = connection_->lookupStoragePool("default-pool"); builtin) {
      (void)builtin->destroy();
    }
  }
  void TearDown() override {
    for (auto& sync : syncs_) {
      sync->stop();
    }
    VirtletTest::TearDown();
  }
  std::string addPool(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::filesystem::create_directories(path);
    if (!content.empty()) {
      std::ofstream(path + "/content") << content << "\n";
    }
    auto pool = connection_->createStoragePool(fmt::format(
        "<pool type='dir'><name>{}</name><target><path>{}</path></target></pool>", name, path));
    EXPECT_TRUE(pool.has_value()) << (pool ? "" : pool.error().message);
    return path;
  }
  ImageSync& addNode(const std::string& node) {
    syncs_.push_back(std::make_unique<ImageSync>(
        *daemon_client_,
        [this] { return util::Result<std::shared_ptr<virt::Connection>>(connection_); },
        ImageSyncOptions{
            .node_name = node, .home_namespace = ns_, .debounce = 300ms, .lease_duration = 15s},
        clock_));
    EXPECT_TRUE(syncs_.back()->start().has_value());
    return *syncs_.back();
  }
  // One lease round on every started node: time moves by a third of the lease duration.
  void round() {
    std::vector<std::size_t> before;
    for (auto& sync : syncs_) {
      before.push_back(sync->rounds());
    }
    // Every running node's lease thread and debouncer thread wait on the clock before it moves.
    const int running = static_cast<int>(syncs_.size() - stopped_.size());
    ASSERT_TRUE(clock_.waitForSleepers(2 * running, 10s));
    clock_.advance(5s);
    for (std::size_t i = 0; i < syncs_.size(); ++i) {
      if (stopped_.count(i) == 0) {
        ASSERT_TRUE(waitFor([&] { return syncs_[i]->rounds() > before[i]; }));
      }
    }
  }
  nlohmann::json image(const std::string& name) const { return get(kDiskImages, name); }

  util::FakeClock clock_;
  std::shared_ptr<virt::Connection> connection_;
  std::vector<std::unique_ptr<ImageSync>> syncs_;
  std::set<std::size_t> stopped_;
};

TEST_F(ImageSyncTest, FilesInAnImagePoolBecomeDiskImagesAndGoWithThem) {
  const std::string pool = fmt::format("images-{}", ::getpid());
  const std::string path = addPool(pool, "vmdi");
  ImageSync& sync = addNode("node-a");
  ASSERT_TRUE(waitFor([&] { return sync.heldPools().count(pool) == 1; }));
  std::ofstream(path + "/centos7.qcow2") << "not really an image";
  ASSERT_TRUE(waitFor([&] { return !image("centos7.qcow2").is_null(); }));
  const auto object = image("centos7.qcow2");
  EXPECT_EQ(object["spec"]["volume"]["current"], path + "/centos7.qcow2");
  EXPECT_EQ(object["spec"]["volume"]["pool"], pool);
  EXPECT_EQ(object["spec"]["volume"]["type"], "qcow2");
  EXPECT_EQ(object["spec"]["volume"]["format"], "raw");
  EXPECT_EQ(object["spec"]["nodeName"], "node-a");
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Ready");
  EXPECT_EQ(object["metadata"]["labels"]["host"], "node-a");
  std::filesystem::remove(path + "/centos7.qcow2");
  round();  // the debounce window of the file's first event closes
  ASSERT_TRUE(waitFor([&] { return image("centos7.qcow2").is_null(); }));
}

TEST_F(ImageSyncTest, OtherPoolsAndBadNamesAreIgnored) {
  const std::string disks = addPool(fmt::format("disks-{}", ::getpid()), "vmd");
  const std::string images = addPool(fmt::format("images-{}", ::getpid()), "vmdi");
  ImageSync& sync = addNode("node-a");
  ASSERT_TRUE(waitFor([&] { return sync.heldPools().size() == 1; }));
  std::ofstream(disks + "/disk1.qcow2") << "x";
  std::ofstream(images + "/Bad_Name.iso") << "x";
  std::ofstream(images + "/good.iso") << "x";
  ASSERT_TRUE(waitFor([&] { return !image("good.iso").is_null(); }));
  ASSERT_TRUE(waitFor([&] { return sync.skipped() == 1 && sync.pending() == 0; }));
  EXPECT_TRUE(image("disk1.qcow2").is_null());
}

TEST_F(ImageSyncTest, AnUnreadablePoolDirectoryIsLoggedOnceAndSkipped) {
  const std::string pool = fmt::format("gone-{}", ::getpid());
  const std::string path = addPool(pool, "vmdi");
  std::filesystem::remove_all(path);
  ImageSync& sync = addNode("node-a");
  ASSERT_TRUE(waitFor([&] { return sync.rounds() >= 1; }));
  round();
  EXPECT_EQ(sync.skipped(), 1U);
  EXPECT_TRUE(sync.heldPools().empty());
}

TEST_F(ImageSyncTest, OneNodeActsForASharedPoolAndAnotherTakesOverWhenItStops) {
  const std::string pool = fmt::format("shared-{}", ::getpid());
  const std::string path = addPool(pool, "vmdi");
  ImageSync& a = addNode("node-a");
  ASSERT_TRUE(waitFor([&] { return a.heldPools().count(pool) == 1; }));
  ImageSync& b = addNode("node-b");
  ASSERT_TRUE(waitFor([&] { return b.rounds() >= 1; }));
  round();
  EXPECT_TRUE(b.heldPools().empty());
  const auto lease = get(kLeases, poolLeaseName(pool));
  EXPECT_EQ(lease["spec"]["holderIdentity"], "node-a");

  std::ofstream(path + "/one.iso") << "x";
  ASSERT_TRUE(waitFor([&] { return !image("one.iso").is_null(); }));
  EXPECT_EQ(image("one.iso")["spec"]["nodeName"], "node-a");

  a.stop();  // node-a stops renewing
  stopped_.insert(0);
  std::ofstream(path + "/two.iso") << "x";  // nobody acts for the pool now
  std::filesystem::remove(path + "/one.iso");
  round();
  round();
  EXPECT_TRUE(b.heldPools().empty());  // 10 s without renewal: not yet expired
  // node-b saw node-a's last renewal in the round it happened or in the next one, so the
  // 15 s lease runs out for it in the third or fourth round after the stop.
  for (int i = 0; i < 2 && b.heldPools().count(pool) == 0; ++i) {
    round();
  }
  ASSERT_EQ(b.heldPools().count(pool), 1U);
  ASSERT_TRUE(waitFor([&] { return !image("two.iso").is_null() && image("one.iso").is_null(); }));
  EXPECT_EQ(image("two.iso")["spec"]["nodeName"], "node-b");
  EXPECT_EQ(get(kLeases, poolLeaseName(pool))["spec"]["holderIdentity"], "node-b");
  EXPECT_EQ(get(kLeases, poolLeaseName(pool))["spec"]["leaseTransitions"], 1);
}

}  // namespace
}  // namespace univirt::virtlet
