// virtctl's side of event_series_test.cpp: cloneDisk, the storage operation that creates a
// VirtualMachineDisk of its own, through the lifecycle engine and the sdsctl handlers in this
// process as virtctl (the sdsctl engine harness's daemon client), with a request applied by the
// real kubectl, on libvirt's test driver and real qemu-img files.

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "integration/sdsctl/engine_harness.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNode = "rbac-sds-node";

TEST(DiskCloneThroughEngine, ACloneGetsAVirtualMachineDiskOfItsOwn) {
  if (!fs::exists("/usr/bin/qemu-img")) {
    GTEST_SKIP() << "qemu-utils is not installed (apt-get install qemu-utils)";
  }
  auto server = testing::startStorageKubeLite();
  ASSERT_NE(server, nullptr);
  std::string pattern = (fs::temp_directory_path() / "univirt-rbac-clone.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = fs::canonical(pattern);
  const std::string pool = fmt::format("rbacclone{}", ::getpid());
  {
    StorageSettings settings;
    settings.path_roots = {dir.string()};
    testing::StorageEngine engine(*server, "rbac-clone", kNode, std::move(settings));
    ASSERT_EQ(engine.error(), "");
    engine.cleanUpPool(pool);
    const auto succeeded = [](const kube::Object& done) {
      return !done.is_null() && done.contains("status") &&
             done["status"]["lastOperation"].value("phase", "") == "Succeeded";
    };
    auto made = engine.run(
        engine.object("VirtualMachinePool", pool, "createPool",
                      {{"type", "localfs"}, {"url", (dir / pool).string()}, {"content", "vmd"}}));
    ASSERT_TRUE(succeeded(made)) << made.dump();
    auto disk = engine.run(engine.object(
        "VirtualMachineDisk", "origin", "createDisk",
        {{"type", "localfs"}, {"pool", pool}, {"capacity", "1G"}, {"format", "qcow2"}}));
    ASSERT_TRUE(succeeded(disk)) << disk.dump();
    auto cloned = engine.run(engine.object(
        "VirtualMachineDisk", "origin", "cloneDisk",
        {{"type", "localfs"}, {"pool", pool}, {"newvol", "copy"}, {"format", "qcow2"}}));
    ASSERT_TRUE(succeeded(cloned)) << cloned.dump();

    const kube::Object copy = engine.get("VirtualMachineDisk", "copy");
    ASSERT_FALSE(copy.is_null()) << "no VirtualMachineDisk 'copy'";
    EXPECT_EQ(copy["metadata"]["labels"]["host"], kNode);
    EXPECT_EQ(copy["spec"]["volume"]["vm"], "");
    EXPECT_TRUE(fs::exists(copy["spec"]["volume"].value("current", "")))
        << copy["spec"]["volume"].dump();
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace univirt::sdsctl
