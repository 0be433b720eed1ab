// copyFileNoReplace / sameContent on temp directories, and the base64 decoding of cephx keys.

#include "sdsctl/file_copy.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdsctl/rbd_secret.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FileCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "univirt-copy.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern);
    fs::create_directories(dir_ / "to");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }

  fs::path dir_;
};

TEST_F(FileCopy, CopiesBytesAndLeavesZeroRunsAsHoles) {
  const std::string content =
      std::string(10, 'x') + std::string(8U << 20, '\0') + "tail" + std::string(2U << 20, '\0');
  const fs::path source = write("image", content);
  auto copied = copyFileNoReplace(source, dir_ / "to", "image");
  ASSERT_TRUE(copied.has_value()) << copied.error().message;
  EXPECT_EQ(copied->result, CopyResult::Copied);
  EXPECT_EQ(copied->bytes, content.size());
  EXPECT_EQ(fs::file_size(dir_ / "to" / "image"), content.size());
  EXPECT_TRUE(*sameContent(source, dir_ / "to" / "image"));
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "to" / "image").c_str(), &info), 0);
  // Two 1 MiB chunks hold data; the other eight are holes.
  EXPECT_LT(static_cast<std::uint64_t>(info.st_blocks) * 512U, 3U << 20);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "to"), fs::directory_iterator()), 1);
}

TEST_F(FileCopy, AnIdenticalFileIsAlreadyThereAndAnotherIsNeverOverwritten) {
  const fs::path source = write("image", "same bytes");
  ASSERT_TRUE(copyFileNoReplace(source, dir_ / "to", "image").has_value());
  auto again = copyFileNoReplace(source, dir_ / "to", "image");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->result, CopyResult::AlreadyThere);

  std::ofstream(dir_ / "to" / "other") << "same bytez";
  auto clash = copyFileNoReplace(source, dir_ / "to", "other");
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, util::ErrorCode::AlreadyExists);
  EXPECT_THAT(clash.error().message, HasSubstr("never overwritten"));
  EXPECT_FALSE(*sameContent(source, dir_ / "to" / "other"));
}

TEST_F(FileCopy, SymbolicLinksAreNeverFollowed) {
  const fs::path source = write("image", "data");
  fs::create_symlink(source, dir_ / "link");
  auto from_link = copyFileNoReplace(dir_ / "link", dir_ / "to", "x");
  ASSERT_FALSE(from_link.has_value());
  EXPECT_THAT(from_link.error().message, HasSubstr("symbolic link"));

  fs::create_directories(dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere", dir_ / "dirlink");
  EXPECT_FALSE(copyFileNoReplace(source, dir_ / "dirlink", "x").has_value());
  fs::create_symlink(dir_ / "elsewhere" / "target", dir_ / "to" / "dangling");
  auto onto_link = copyFileNoReplace(source, dir_ / "to", "dangling");
  ASSERT_FALSE(onto_link.has_value());
  EXPECT_EQ(onto_link.error().code, util::ErrorCode::AlreadyExists);
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "target"));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "x"));

  fs::create_directories(dir_ / "adir");
  auto not_regular = copyFileNoReplace(dir_ / "adir", dir_ / "to", "y");
  ASSERT_FALSE(not_regular.has_value());
  EXPECT_THAT(not_regular.error().message, HasSubstr("not a regular file"));
}

TEST(CephxKey, Base64KeysDecodeToTheirBytes) {
  EXPECT_EQ(*decodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*decodeBase64("aGVsbG8h"), "hello!");
  // A cephx key: 28 bytes (type, created, length, 16-byte secret).
  auto key = decodeBase64("AQCkrQlr5qYRKBAAwkcjygRiN16CphqSLvVShA==");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 28U);
  EXPECT_FALSE(decodeBase64("not base64!").has_value());
  EXPECT_FALSE(decodeBase64("").has_value());
  EXPECT_FALSE(decodeBase64("aGVsbG8").has_value());
  EXPECT_FALSE(decodeBase64("aG=sbG8h").has_value());
}

TEST(CephxKey, PoolXmlGetsTheAuthOfItsSecret) {
  auto xml = withPoolAuth(
      "<pool type='rbd'><name>p</name><source><name>rbd</name><host name='127.0.0.1' "
      "port='6789'/><auth type='ceph' username='old'><secret uuid='x'/></auth></source></pool>",
      {.username = "admin", .secret_uuid = "6d1f5a8e-0000-4000-8000-000000000001"});
  ASSERT_TRUE(xml.has_value()) << xml.error().message;
  EXPECT_THAT(*xml, HasSubstr("<auth type=\"ceph\" username=\"admin\">"));
  EXPECT_THAT(*xml, HasSubstr("<secret uuid=\"6d1f5a8e-0000-4000-8000-000000000001\""));
  EXPECT_THAT(*xml, ::testing::Not(HasSubstr("old"))) << "an earlier <auth> is replaced";
  EXPECT_THAT(*xml, HasSubstr("<host name=\"127.0.0.1\" port=\"6789\""));
  EXPECT_FALSE(withPoolAuth("<pool type='rbd'/>", {}).has_value());
  EXPECT_EQ(poolSecretUsage("p1"), "univirt rbd pool p1");
}

}  // namespace
}  // namespace univirt::sdsctl
