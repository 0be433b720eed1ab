// VirtualMachine operations the libvirt test driver cannot run (device hot-plug, block resize,
// live vCPU changes, VNC passwords, scheduler parameters, migration errors), against a real
// libvirtd with QEMU/TCG that the `virtctl_libvirtd` ctest fixture starts once per run.
// Guests are firmware only: type qemu, 128 MiB, no NIC but user-mode ones, VNC on 127.0.0.1.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/util/check.h"
#include "core/util/exec.h"
#include "integration/virtctl/vm_harness.h"

namespace univirt::virtctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSystemUri = "qemu:///system";

bool installed() {
  return std::filesystem::exists("/usr/sbin/libvirtd") &&
         util::runProgram({"qemu-system-x86_64", "--version"}).has_value();
}

class VmLibvirtd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!installed()) {
      GTEST_SKIP() << "libvirt-daemon and qemu-system-x86 are not installed";
    }
    harness_ = std::make_unique<VmHarness>(kSystemUri);
    name_ = fmt::format("uvt-{}-{}",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
  }

  // A firmware-only guest: no OS, so it sits in the BIOS, which is enough for hot-plug.
  void createVm(const nlohmann::json& extra = nlohmann::json::object()) {
    nlohmann::json request = {
        {"virt_type", "qemu"},
        {"memory", "128"},
        {"vcpus", "vcpus=1,maxvcpus=2"},
        {"disk", "path=" + harness_->path(name_ + ".qcow2") + ",size=0.0625,cache=none"},
        {"graphics", "vnc,listen=127.0.0.1"},
        {"noautoconsole", true}};
    request.update(extra);
    auto outcome = harness_->run("createAndStartVMFromISO", name_, request);
    ASSERT_TRUE(outcome) << outcome.error().message;
  }
  virt::Domain domain() {
    auto found = harness_->observer().lookupDomain(name_);
    UNIVIRT_CHECK(found.has_value(), "the test's domain exists");
    return std::move(*found);
  }
  std::string liveXml() { return domainXml(harness_->observer(), name_); }
  std::string qcow2(const std::string& file) {
    std::string path = harness_->path(file);
    auto run = util::runProgram({"qemu-img", "create", "-q", "-f", "qcow2", path, "16M"});
    EXPECT_TRUE(run && run->succeeded());
    return path;
  }

  std::unique_ptr<VmHarness> harness_;
  std::string name_;
};

TEST_F(VmLibvirtd, CreateAndStartRunsAFirmwareGuestAndRefreshSeesIt) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  EXPECT_EQ(domain().state().value_or(virt::PowerState::NoState), virt::PowerState::Running);
  auto refreshed = harness_->refresh("startVM", name_);
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->reason, "Running");
  EXPECT_EQ(refreshed->spec_fields["domain"]["_type"], "qemu");
  ASSERT_TRUE(harness_->run("suspendVM", name_));
  EXPECT_EQ(domain().state().value_or(virt::PowerState::NoState), virt::PowerState::Paused);
  ASSERT_TRUE(harness_->run("resumeVM", name_));
  ASSERT_TRUE(harness_->run("stopVMForce", name_));
  auto deleted = harness_->run("deleteVM", name_, {{"remove-all-storage", true}});
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_FALSE(std::filesystem::exists(harness_->path(name_ + ".qcow2")));
  EXPECT_FALSE(harness_->observer().lookupDomain(name_));
}

TEST_F(VmLibvirtd, ChangeNumberOfCpuHotplugsWithoutRestart) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  const unsigned int id = virDomainGetID(domain().get());
  auto outcome = harness_->run("changeNumberOfCPU", name_, {{"count", "2"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(outcome->message, Not(HasSubstr("next boot")));
  EXPECT_EQ(virDomainGetVcpusFlags(domain().get(), VIR_DOMAIN_AFFECT_LIVE), 2);
  EXPECT_EQ(virDomainGetID(domain().get()), id);  // same QEMU process: no restart
  auto config = harness_->run("changeNumberOfCPU", name_, {{"count", "1"}, {"config", true}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_THAT(config->message, HasSubstr("takes effect at the next boot"));
  EXPECT_EQ(virDomainGetVcpusFlags(domain().get(), VIR_DOMAIN_AFFECT_LIVE), 2);
  auto beyond = harness_->run("changeNumberOfCPU", name_, {{"count", "3"}});
  ASSERT_FALSE(beyond);
  EXPECT_THAT(beyond.error().message, HasSubstr("libvirt error from"));
}

TEST_F(VmLibvirtd, ResizeRamInPlaceAndMaxRamForTheNextBoot) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  auto ram = harness_->run("resizeRAM", name_, {{"size", "96M"}});
  ASSERT_TRUE(ram) << ram.error().message;
  EXPECT_THAT(ram->message, Not(HasSubstr("next boot")));
  auto max = harness_->run("resizeMaxRAM", name_, {{"size", "256M"}});
  ASSERT_TRUE(max) << max.error().message;
  EXPECT_THAT(max->message, HasSubstr("takes effect at the next boot"));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_INACTIVE),
              HasSubstr("<memory unit='KiB'>262144</memory>"));
  EXPECT_THAT(liveXml(), HasSubstr("<memory unit='KiB'>131072</memory>"));
}

TEST_F(VmLibvirtd, ResizeVmGrowsTheDiskOfARunningDomain) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  auto outcome = harness_->run("resizeVM", name_, {{"path", "vda"}, {"size", "128M"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  virDomainBlockInfo info{};
  ASSERT_EQ(virDomainGetBlockInfo(domain().get(), "vda", &info, 0), 0);
  EXPECT_EQ(info.capacity, 128U << 20);
}

TEST_F(VmLibvirtd, PlugAndUnplugDiskWhileRunning) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  const std::string extra = qcow2("extra.qcow2");
  auto plugged = harness_->run("plugDisk", name_, {{"source", extra}, {"persistent", true}});
  ASSERT_TRUE(plugged) << plugged.error().message;
  EXPECT_THAT(plugged->message, HasSubstr("attached as 'vdb'"));
  EXPECT_THAT(liveXml(), HasSubstr(extra));
  EXPECT_TRUE(std::filesystem::exists(harness_->deps().settings.device_dir + "/" + name_ +
                                      "-disk-vdb.xml"));
  auto twice = harness_->run("plugDisk", name_, {{"source", extra}, {"target", "vdb"}});
  ASSERT_FALSE(twice);
  // A firmware-only guest never acknowledges the ACPI eject, so the device stays in the running
  // domain and the outcome says why; the definition loses it at once.
  auto unplugged = harness_->run("unplugDisk", name_, {{"target", "vdb"}, {"persistent", true}});
  ASSERT_TRUE(unplugged) << unplugged.error().message;
  EXPECT_THAT(unplugged->message, HasSubstr("guest has not released the device"));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_INACTIVE),
              Not(HasSubstr(extra)));
  EXPECT_FALSE(std::filesystem::exists(harness_->deps().settings.device_dir + "/" + name_ +
                                       "-disk-vdb.xml"));
}

TEST_F(VmLibvirtd, PlugDeviceAndUnplugDeviceFromAnXmlFile) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  const std::string disk = qcow2("device.qcow2");
  const std::string file = harness_->path("device.xml");
  std::ofstream(file) << "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                         "<source file='"
                      << disk << "'/><target dev='vdc' bus='virtio'/></disk>";
  auto plugged = harness_->run("plugDevice", name_, {{"file", file}, {"persistent", true}});
  ASSERT_TRUE(plugged) << plugged.error().message;
  EXPECT_THAT(liveXml(), HasSubstr(disk));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_INACTIVE), HasSubstr(disk));
  auto unplugged = harness_->run("unplugDevice", name_, {{"file", file}, {"persistent", true}});
  ASSERT_TRUE(unplugged) << unplugged.error().message;
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_INACTIVE),
              Not(HasSubstr(disk)));
  EXPECT_THAT(unplugged->message, HasSubstr("guest has not released the device"));
}

TEST_F(VmLibvirtd, PlugAndUnplugAUserModeNic) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  const std::string mac = "52:54:00:7a:00:01";
  auto plugged =
      harness_->run("plugNIC", name_, {{"type", "user"}, {"mac", mac}, {"persistent", true}});
  ASSERT_TRUE(plugged) << plugged.error().message;
  EXPECT_THAT(liveXml(), HasSubstr(mac));
  EXPECT_TRUE(std::filesystem::exists(harness_->deps().settings.device_dir + "/" + name_ +
                                      "-nic-5254007a0001.xml"));
  auto l3 = harness_->run("plugNIC", name_, {{"type", "l3bridge"}, {"source", "br-int"}});
  ASSERT_FALSE(l3);
  EXPECT_THAT(l3.error().message, HasSubstr("OVN"));
  auto unplugged = harness_->run("unplugNIC", name_, {{"mac", mac}, {"persistent", true}});
  ASSERT_TRUE(unplugged) << unplugged.error().message;
  EXPECT_THAT(unplugged->message, HasSubstr("guest has not released the device"));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_INACTIVE), Not(HasSubstr(mac)));
  EXPECT_FALSE(harness_->run("unplugNIC", name_, {{"mac", "52:54:00:7a:00:99"}}));
}

TEST_F(VmLibvirtd, TuneDiskQosSetsLiveLimits) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  auto outcome =
      harness_->run("tuneDiskQoS", name_, {{"device", "vda"}, {"total-bytes-sec", "10485760"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(liveXml(), HasSubstr("<total_bytes_sec>10485760</total_bytes_sec>"));
}

TEST_F(VmLibvirtd, VncPasswordIsSetAndRemovedOnTheRunningDisplay) {
  // QEMU changes the password only of a display that started with one.
  ASSERT_NO_FATAL_FAILURE(createVm({{"graphics", "vnc,listen=127.0.0.1,password=first"}}));
  ASSERT_TRUE(harness_->run("setVncPassword", name_, {{"password", "s3cret"}}));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_SECURE),
              HasSubstr("passwd='s3cret'"));
  EXPECT_THAT(liveXml(), HasSubstr("listen='127.0.0.1'"));  // the listen address is kept
  ASSERT_TRUE(harness_->run("unsetVncPassword", name_));
  EXPECT_THAT(domainXml(harness_->observer(), name_, VIR_DOMAIN_XML_SECURE),
              Not(HasSubstr("passwd=")));
}

TEST_F(VmLibvirtd, ManageIsoChangesAndEjectsMedia) {
  const std::string first = harness_->makeFile("first.iso", 1 << 20);
  const std::string second = harness_->makeFile("second.iso", 1 << 20);
  ASSERT_NO_FATAL_FAILURE(createVm({{"cdrom", first}}));
  auto occupied =
      harness_->run("manageISO", name_, {{"path", "hda"}, {"source", second}, {"insert", true}});
  ASSERT_FALSE(occupied);
  EXPECT_THAT(occupied.error().message, HasSubstr("already holds a medium"));
  auto updated = harness_->run("manageISO", name_, {{"path", first}, {"source", second}});
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_THAT(liveXml(), HasSubstr(second));
  EXPECT_THAT(liveXml(), Not(HasSubstr(first)));
  // The guest firmware locked the tray after the change, as a real OS might: force opens it.
  auto ejected =
      harness_->run("manageISO", name_, {{"path", "hda"}, {"eject", true}, {"force", true}});
  ASSERT_TRUE(ejected) << ejected.error().message;
  EXPECT_THAT(liveXml(), Not(HasSubstr(second)));
  auto again = harness_->run("manageISO", name_, {{"path", "hda"}, {"eject", true}});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_THAT(again->message, HasSubstr("already empty"));
  auto disk = harness_->run("manageISO", name_, {{"path", "vda"}, {"eject", true}});
  ASSERT_FALSE(disk);
  EXPECT_THAT(disk.error().message, HasSubstr("not a cdrom or floppy"));
}

TEST_F(VmLibvirtd, TuneSchedinfoSetsCpuShares) {
  ASSERT_NO_FATAL_FAILURE(createVm());
  auto outcome = harness_->run("tuneSchedinfo", name_, {{"set", "cpu_shares=512"}});
  if (!outcome && outcome.error().message.find("cgroup") != std::string::npos) {
    GTEST_SKIP() << "this host gives libvirtd no CPU cgroup controller: "
                 << outcome.error().message;
  }
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(liveXml(), HasSubstr("<shares>512</shares>"));
}

TEST_F(VmLibvirtd, MigrateVmReportsLibvirtsRefusal) {
  VmNodeSettings settings = VmHarness::defaultSettings();
  settings.migration_connect_uri = kSystemUri;  // this very host: libvirt refuses
  harness_ = std::make_unique<VmHarness>(kSystemUri, settings);
  ASSERT_NO_FATAL_FAILURE(createVm());
  auto outcome = harness_->run("migrateVM", name_, {{"ip", "127.0.0.1"}});
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().message, HasSubstr("libvirt error from"));
  EXPECT_EQ(domain().state().value_or(virt::PowerState::NoState), virt::PowerState::Running);
}

}  // namespace
}  // namespace univirt::virtctl::testing
