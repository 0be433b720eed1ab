// FileBackend on temp directories with the real qemu-img (and qemu-io to write and read guest
// data): the on-disk layout, the overlay chain of external snapshots and what each operation
// keeps of the data.

#include "sdsctl/file_backend.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/util/exec.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::uint64_t kMiB = 1 << 20;

class FileBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/qemu-img") || !fs::exists("/usr/bin/qemu-io")) {
      GTEST_SKIP() << "qemu-utils is not installed (apt-get install qemu-utils)";
    }
    std::string pattern = (fs::temp_directory_path() / "univirt-filebackend.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = fs::canonical(pattern);
    fs::create_directories(base_ / "pool");
    pool_ = PoolContext{.name = "pooltest", .type = PoolType::Dir, .root = base_ / "pool"};
  }
  void TearDown() override {
    if (!base_.empty()) {
      fs::remove_all(base_);
    }
  }

  // Writes `pattern` into the first 64 KiB of the guest-visible disk at `file`.
  void write(const fs::path& file, int pattern) {
    auto ran = util::runProgram(
        {"/usr/bin/qemu-io", "-c", fmt::format("write -P {} 0 64k", pattern), file.string()});
    ASSERT_TRUE(ran.has_value());
    ASSERT_TRUE(ran->succeeded()) << ran->err << ran->out;
  }
  // True when the first 64 KiB of the disk read `pattern`.
  bool reads(const fs::path& file, int pattern) {
    auto ran = util::runProgram(
        {"/usr/bin/qemu-io", "-r", "-c", fmt::format("read -P {} 0 64k", pattern), file.string()});
    return ran.has_value() && ran->succeeded() &&
           ran->out.find("Pattern verification failed") == std::string::npos;
  }
  nlohmann::json config(const std::string& disk) {
    std::ifstream in(pool_.root / disk / "config.json");
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
  }

  fs::path base_;
  PoolContext pool_;
  FileBackend backend_;
};

TEST_F(FileBackendTest, CreateDiskKeepsUpstreamLayout) {
  auto disk = backend_.createDisk(pool_, "disktest", 10 * kMiB, "qcow2");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  const fs::path file = pool_.root / "disktest" / "disktest";
  EXPECT_EQ(disk->current, file);
  EXPECT_EQ(disk->format, "qcow2");
  EXPECT_EQ(disk->virtual_size, 10 * kMiB);
  EXPECT_TRUE(fs::is_regular_file(file));
  const auto json = config("disktest");
  EXPECT_EQ(json["name"], "disktest");
  EXPECT_EQ(json["pool"], "pooltest");
  EXPECT_EQ(json["current"], file.string());
  EXPECT_EQ(json["dir"], (pool_.root / "disktest").string());

  auto again = backend_.createDisk(pool_, "disktest", kMiB, "qcow2");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, util::ErrorCode::AlreadyExists);
}

TEST_F(FileBackendTest, RawDiskAndResize) {
  ASSERT_TRUE(backend_.createDisk(pool_, "r", 4 * kMiB, "raw").has_value());
  auto grown = backend_.resizeDisk(pool_, "r", 8 * kMiB);
  ASSERT_TRUE(grown.has_value()) << grown.error().message;
  EXPECT_EQ(grown->virtual_size, 8 * kMiB);
  EXPECT_EQ(grown->format, "raw");
  auto shrunk = backend_.resizeDisk(pool_, "r", kMiB);
  ASSERT_FALSE(shrunk.has_value());
  EXPECT_THAT(shrunk.error().message, HasSubstr("shrinking"));
}

TEST_F(FileBackendTest, CloneIsAFlatCopy) {
  ASSERT_TRUE(backend_.createDisk(pool_, "src", 4 * kMiB, "qcow2").has_value());
  write(pool_.root / "src" / "src", 0x5a);
  ASSERT_TRUE(backend_.createExternalSnapshot(pool_, "src", "s1").has_value());
  write(pool_.root / "src" / "s1", 0x6b);
  auto clone = backend_.cloneDisk(pool_, "src", "copy", "");
  ASSERT_TRUE(clone.has_value()) << clone.error().message;
  EXPECT_TRUE(clone->backing_file.empty());
  EXPECT_TRUE(reads(clone->current, 0x6b));
}

TEST_F(FileBackendTest, ExternalSnapshotsFormAChain) {
  ASSERT_TRUE(backend_.createDisk(pool_, "d", 4 * kMiB, "qcow2").has_value());
  const fs::path base = pool_.root / "d" / "d";
  write(base, 1);
  auto s1 = backend_.createExternalSnapshot(pool_, "d", "s1");
  ASSERT_TRUE(s1.has_value()) << s1.error().message;
  EXPECT_EQ(s1->current, pool_.root / "d" / "s1");
  EXPECT_EQ(s1->backing_file, base.string());
  EXPECT_EQ(config("d")["current"], (pool_.root / "d" / "s1").string());
  write(s1->current, 2);
  auto s2 = backend_.createExternalSnapshot(pool_, "d", "s2");
  ASSERT_TRUE(s2.has_value());
  write(s2->current, 3);
  EXPECT_TRUE(reads(s2->current, 3));

  // Revert to s1: what was written since s1 was taken (2, then 3) is gone; s2 with it.
  auto reverted = backend_.revertExternalSnapshot(pool_, "d", "s1");
  ASSERT_TRUE(reverted.has_value()) << reverted.error().message;
  EXPECT_EQ(reverted->current, pool_.root / "d" / "s1");
  EXPECT_FALSE(fs::exists(pool_.root / "d" / "s2"));
  EXPECT_TRUE(reads(reverted->current, 1));

  // Deleting the top snapshot merges it down; the data written after it stays.
  write(reverted->current, 4);
  auto deleted = backend_.deleteExternalSnapshot(pool_, "d", "s1");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(deleted->current, base);
  EXPECT_FALSE(fs::exists(pool_.root / "d" / "s1"));
  EXPECT_TRUE(reads(base, 4));

  auto gone = backend_.revertExternalSnapshot(pool_, "d", "s1");
  ASSERT_FALSE(gone.has_value());
  EXPECT_THAT(gone.error().message, HasSubstr("not in the overlay chain"));
}

TEST_F(FileBackendTest, DeletingAMiddleSnapshotKeepsTheData) {
  ASSERT_TRUE(backend_.createDisk(pool_, "d", 4 * kMiB, "qcow2").has_value());
  write(pool_.root / "d" / "d", 1);
  ASSERT_TRUE(backend_.createExternalSnapshot(pool_, "d", "s1").has_value());
  write(pool_.root / "d" / "s1", 2);
  ASSERT_TRUE(backend_.createExternalSnapshot(pool_, "d", "s2").has_value());
  auto deleted = backend_.deleteExternalSnapshot(pool_, "d", "s1");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(deleted->current, pool_.root / "d" / "s2");
  EXPECT_EQ(deleted->backing_file, (pool_.root / "d" / "d").string());
  EXPECT_FALSE(fs::exists(pool_.root / "d" / "s1"));
  EXPECT_TRUE(reads(deleted->current, 2));
  EXPECT_TRUE(reads(pool_.root / "d" / "d", 1));
}

TEST_F(FileBackendTest, InternalSnapshots) {
  ASSERT_TRUE(backend_.createDisk(pool_, "d", 4 * kMiB, "qcow2").has_value());
  const fs::path file = pool_.root / "d" / "d";
  write(file, 7);
  ASSERT_TRUE(backend_.createInternalSnapshot(pool_, "d", "snap1").has_value());
  EXPECT_EQ(backend_.createInternalSnapshot(pool_, "d", "snap1").error().code,
            util::ErrorCode::AlreadyExists);
  write(file, 8);
  ASSERT_TRUE(backend_.revertInternalSnapshot(pool_, "d", "snap1").has_value());
  EXPECT_TRUE(reads(file, 7));
  ASSERT_TRUE(backend_.deleteInternalSnapshot(pool_, "d", "snap1").has_value());
  EXPECT_TRUE(backend_.qemuImg().info(file.string())->snapshots.empty());
}

TEST_F(FileBackendTest, DiskFromImageAsOverlayOrCopy) {
  ASSERT_TRUE(backend_.createDisk(pool_, "img", 4 * kMiB, "qcow2").has_value());
  const fs::path image = pool_.root / "img" / "img";
  write(image, 9);
  auto overlay = backend_.createDiskFromImage(pool_, "thin", pool_, image, false);
  ASSERT_TRUE(overlay.has_value()) << overlay.error().message;
  EXPECT_EQ(overlay->backing_file, image.string());
  EXPECT_TRUE(reads(overlay->current, 9));
  auto copy = backend_.createDiskFromImage(pool_, "thick", pool_, image, true);
  ASSERT_TRUE(copy.has_value());
  EXPECT_TRUE(copy->backing_file.empty());
  EXPECT_TRUE(reads(copy->current, 9));
  // External snapshots of the thin disk never touch the shared image below it.
  ASSERT_TRUE(backend_.createExternalSnapshot(pool_, "thin", "s").has_value());
  ASSERT_TRUE(backend_.deleteExternalSnapshot(pool_, "thin", "s").has_value());
  EXPECT_EQ(backend_.diskState(pool_, "thin")->backing_file, image.string());
}

TEST_F(FileBackendTest, DeleteDiskDoesNotFollowLinks) {
  ASSERT_TRUE(backend_.createDisk(pool_, "d", kMiB, "qcow2").has_value());
  std::ofstream(base_ / "precious") << "keep";
  fs::create_symlink(base_ / "precious", pool_.root / "d" / "link");
  ASSERT_TRUE(backend_.deleteDisk(pool_, "d").has_value());
  EXPECT_FALSE(fs::exists(pool_.root / "d"));
  EXPECT_TRUE(fs::exists(base_ / "precious"));
  EXPECT_EQ(backend_.deleteDisk(pool_, "d").error().code, util::ErrorCode::NotFound);
}

TEST_F(FileBackendTest, RefusesEscapingNames) {
  for (const char* name : {"../../etc/passwd", "/etc/passwd", "..", "a/b"}) {
    auto made = backend_.createDisk(pool_, name, kMiB, "qcow2");
    ASSERT_FALSE(made.has_value()) << name;
    EXPECT_EQ(made.error().code, util::ErrorCode::InvalidArgument) << name;
  }
  // A disk directory that is a symbolic link out of the pool is never used.
  fs::create_directories(base_ / "elsewhere");
  fs::create_directory_symlink(base_ / "elsewhere", pool_.root / "linked");
  auto linked = backend_.deleteDisk(pool_, "linked");
  ASSERT_FALSE(linked.has_value());
  EXPECT_THAT(linked.error().message, HasSubstr("symbolic link"));
  EXPECT_TRUE(fs::exists(base_ / "elsewhere"));
}

TEST_F(FileBackendTest, RefusesATamperedCurrentFile) {
  ASSERT_TRUE(backend_.createDisk(pool_, "d", kMiB, "qcow2").has_value());
  std::ofstream(pool_.root / "d" / "config.json")
      << R"({"name":"d","dir":"x","current":"/etc/passwd","pool":"pooltest"})";
  auto state = backend_.diskState(pool_, "d");
  ASSERT_FALSE(state.has_value());
  EXPECT_THAT(state.error().message, HasSubstr("'/etc/passwd', which is refused"));
}

TEST_F(FileBackendTest, MountedTypesNeedTheirMount) {
  const std::string mountinfo = (base_ / "mountinfo").string();
  std::ofstream(mountinfo) << fmt::format(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "40 22 0:40 / {} rw - tmpfs tmpfs rw\n",
      pool_.root.string());
  FileBackendSettings settings;
  settings.mountinfo = mountinfo;
  FileBackend strict(settings);
  PoolContext nfs{.name = "n", .type = PoolType::Nfs, .root = pool_.root};
  auto refused = strict.createDisk(nfs, "d", kMiB, "qcow2");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("'tmpfs' mount"));

  settings.mount_fs_types[PoolType::Nfs].push_back("tmpfs");
  FileBackend stand_in(settings);
  EXPECT_TRUE(stand_in.createDisk(nfs, "d", kMiB, "qcow2").has_value());
  PoolContext plain{.name = "c", .type = PoolType::CephFs, .root = base_};
  EXPECT_THAT(stand_in.checkStorage(plain).error().message, HasSubstr("plain directory"));
}

}  // namespace
}  // namespace univirt::sdsctl
