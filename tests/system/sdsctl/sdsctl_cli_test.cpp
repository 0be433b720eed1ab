// The univirt-sdsctl binary as an operator runs it: --help lists every operation of the
// table, each sub-command its parameters; operations run against a libvirt test driver whose
// node file defines a directory pool in a temp dir (so consecutive processes see the same
// pool), print --json, and refuse path escapes and Ceph RBD with exit status 1.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/lifecycle/operation_table.h"
#include "core/util/exec.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kBinary = std::string(UNIVIRT_BINARY_DIR) + "/daemons/sdsctl/univirt-sdsctl";

util::ExecResult sdsctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = util::runProgram(argv);
  EXPECT_TRUE(ran.has_value()) << (ran ? "" : ran.error().message);
  return ran.value_or(util::ExecResult{});
}

TEST(SdsctlCli, HelpListsEveryOperation) {
  auto help = sdsctl({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  lifecycle::OperationTable table;
  const StorageOperationDeps deps;
  addStorageOperations(table, deps);
  ASSERT_EQ(table.all().size(), 21U);
  for (const auto& operation : table.all()) {
    EXPECT_THAT(help.out, HasSubstr(upstreamCommand(operation.key))) << operation.key;
    EXPECT_THAT(help.out, HasSubstr(operation.summary.substr(0, 30))) << operation.key;
  }
  for (const char* kind : {kPoolKind, kDiskKind, kImageKind, kSnapshotKind}) {
    EXPECT_THAT(help.out, HasSubstr(kind));
  }
}

TEST(SdsctlCli, SubcommandHelpListsItsParameters) {
  auto help = sdsctl({"create-disk", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (const char* option : {"--vol", "--pool", "--capacity", "--format", "--type"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  auto alias = sdsctl({"createDisk", "--help"});
  EXPECT_EQ(alias.exit_code, 0) << "the lifecycle key is an alias";
}

TEST(SdsctlCli, UsageErrorsExitTwo) {
  EXPECT_EQ(sdsctl({}).exit_code, 2);
  auto missing = sdsctl({"create-disk", "--vol", "d", "--capacity", "1G"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--pool"));
  auto capacity = sdsctl({"create-disk", "--vol", "d", "--pool", "p", "--capacity", "1.5G"});
  EXPECT_EQ(capacity.exit_code, 2);
  EXPECT_THAT(capacity.err, HasSubstr("capacity '1.5G' is invalid"));
}

class SdsctlCliOnTestDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/qemu-img")) {
      GTEST_SKIP() << "qemu-utils is not installed (apt-get install qemu-utils)";
    }
    std::string pattern = (fs::temp_directory_path() / "univirt-sdsctl-cli.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = fs::canonical(pattern);
    fs::create_directories(dir_ / "p");
    std::ofstream(dir_ / "node.xml") << fmt::format(
        "<node><pool type='dir'><name>p</name><target><path>{}</path></target></pool></node>",
        (dir_ / "p").string());
    uri_ = fmt::format("test://{}", (dir_ / "node.xml").string());
  }
  void TearDown() override {
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  fs::path dir_;
  std::string uri_;
};

TEST_F(SdsctlCliOnTestDriver, CreatesAndDeletesADiskWithJsonOutput) {
  auto created = sdsctl({"--libvirt-uri", uri_, "--json", "create-disk", "--vol", "disktest",
                         "--pool", "p", "--capacity", "64M", "--format", "qcow2"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const auto json = nlohmann::json::parse(created.out);
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["operation"], "createDisk");
  EXPECT_EQ(json["spec"]["volume"]["current"], (dir_ / "p" / "disktest" / "disktest").string());
  EXPECT_EQ(json["spec"]["volume"]["capacity"], 64 << 20);
  EXPECT_TRUE(fs::exists(dir_ / "p" / "disktest" / "config.json"));

  auto snapshot = sdsctl({"--libvirt-uri", uri_, "create-external-snapshot", "--name", "s1",
                          "--pool", "p", "--source", "disktest"});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.out << snapshot.err;
  EXPECT_THAT(snapshot.out, HasSubstr("createDiskExternalSnapshot s1: done"));
  EXPECT_TRUE(fs::exists(dir_ / "p" / "disktest" / "s1"));

  auto deleted = sdsctl({"--libvirt-uri", uri_, "deleteDisk", "--vol", "disktest", "--pool", "p"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("(removed)"));
  EXPECT_FALSE(fs::exists(dir_ / "p" / "disktest"));
}

TEST_F(SdsctlCliOnTestDriver, RefusesPathEscapes) {
  std::ofstream(dir_ / "secret") << "x";
  fs::create_symlink(dir_ / "secret", dir_ / "p" / "link");
  const std::vector<std::pair<std::string, std::string>> attempts = {
      {"../../etc/passwd", "not an absolute path"},
      {"/etc/passwd", "inside no storage pool"},
      {(dir_ / "p" / "link").string(), "is a symbolic link"}};
  for (const auto& [source, why] : attempts) {
    auto refused = sdsctl({"--libvirt-uri", uri_, "--json", "create-disk-from-image", "--name", "e",
                           "--targetPool", "p", "--source", source, "--full-copy"});
    EXPECT_EQ(refused.exit_code, 1) << source;
    const auto json = nlohmann::json::parse(refused.out);
    EXPECT_EQ(json["ok"], false);
    EXPECT_EQ(json["error"]["code"], "InvalidArgument");
    EXPECT_THAT(json["error"]["message"].get<std::string>(),
                HasSubstr(fmt::format("'{}' is refused", source)));
    EXPECT_THAT(json["error"]["message"].get<std::string>(), HasSubstr(why));
  }
  auto name = sdsctl({"--libvirt-uri", uri_, "create-disk", "--vol", "../../etc/passwd", "--pool",
                      "p", "--capacity", "1M"});
  EXPECT_EQ(name.exit_code, 1);
  EXPECT_THAT(name.err, HasSubstr("disk name '../../etc/passwd' is invalid"));
  EXPECT_FALSE(fs::exists(dir_ / "p" / "e"));
}

TEST_F(SdsctlCliOnTestDriver, CephRbdPoolUrlIsChecked) {
  auto refused = sdsctl(
      {"--libvirt-uri", uri_, "create-pool", "--pool", "r", "--type", "cephrbd", "--url", "rbd"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("write 'rbd:<pool>'"));
}

}  // namespace
}  // namespace univirt::sdsctl
