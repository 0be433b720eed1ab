// VirtualMachine operations the libvirt test driver cannot run (device hot-plug, block resize,
// live vCPU changes, VNC passwords, scheduler parameters, Open vSwitch NICs, migration errors),
// requested as a user does it — kubectl apply of spec.lifecycle to a real kube-lite — and carried
// out by the lifecycle engine with the production operation table on the real libvirtd (QEMU/TCG)
// that the `virtctl_libvirtd` ctest fixture starts once per run (vm_engine_fixture.h). Each step
// reads the outcome back from the object, counts its Doing/Done Events and checks libvirt's state
// through a second connection. Guests are firmware only: type qemu, 128 MiB, no NIC but user-mode
// ones or ports on the fixture's address-less Open vSwitch bridge, VNC on 127.0.0.1.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "integration/virtctl/vm_engine_fixture.h"

namespace univirt::virtctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSystemUri = "qemu:///system";

bool installed() {
  return std::filesystem::exists("/usr/sbin/libvirtd") &&
         util::runProgram({"qemu-system-x86_64", "--version"}).has_value();
}

class VmLibvirtd : public VmEngineTest {
 protected:
  void SetUp() override {
    if (!installed()) {
      GTEST_SKIP() << "libvirt-daemon and qemu-system-x86 are not installed";
    }
    ASSERT_NO_FATAL_FAILURE(startEngine(kSystemUri));
    // Object names are DNS labels: lower case.
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(test.begin(), test.end(), test.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    name_ = fmt::format("uvt-{}-{}", test.substr(0, 40), ::getpid());
  }

  // A firmware-only guest: no OS, so it sits in the BIOS, which is enough for hot-plug.
  kube::Object createVm(const nlohmann::json& extra = nlohmann::json::object()) {
    nlohmann::json params = {{"virt_type", "qemu"},
                             {"memory", "128"},
                             {"vcpus", "vcpus=1,maxvcpus=2"},
                             {"disk", "path=" + path(name_ + ".qcow2") + ",size=0.0625,cache=none"},
                             {"graphics", "vnc,listen=127.0.0.1"},
                             {"noautoconsole", true}};
    params.update(extra);
    return expectSuccess(name_, "createAndStartVMFromISO", params, "Running");
  }
  virDomainPtr live() {
    handle_ = domain(name_);
    return handle_.has_value() ? handle_->get() : nullptr;
  }
  std::string liveXml() { return xml(name_); }
  std::string inactiveXml() { return xml(name_, VIR_DOMAIN_XML_INACTIVE); }
  std::string qcow2(const std::string& name) {
    std::string image = path(name);
    auto run = util::runProgram({"qemu-img", "create", "-q", "-f", "qcow2", image, "16M"});
    EXPECT_TRUE(run && run->succeeded());
    return image;
  }
  // .spec.domain.vcpu: {"text": max, "_current": current} (no _current when they are equal).
  static int currentVcpus(const kube::Object& object) {
    const nlohmann::json vcpu = object["spec"]["domain"].value("vcpu", nlohmann::json::object());
    const nlohmann::json value =
        vcpu.contains("_current") ? vcpu["_current"] : vcpu.value("text", nlohmann::json());
    if (value.is_number_integer()) {
      return value.get<int>();
    }
    return value.is_string() ? std::stoi(value.get<std::string>()) : -1;
  }
  std::string deviceFile(const std::string& suffix) const {
    return deps_.settings.device_dir + "/" + name_ + suffix;
  }

  std::string name_;
  std::optional<virt::Domain> handle_;
};

TEST_F(VmLibvirtd, CreateAndStartRunsAFirmwareGuestAndTheObjectShowsIt) {
  kube::Object created = createVm();
  EXPECT_EQ(state(name_), virt::PowerState::Running);
  EXPECT_EQ(created["spec"]["domain"]["_type"], "qemu");
  EXPECT_EQ(created["spec"]["domain"]["name"]["text"], name_);
  EXPECT_EQ(created["status"]["phase"], "Running");

  expectSuccess(name_, "suspendVM", nlohmann::json::object(), "Paused");
  EXPECT_EQ(state(name_), virt::PowerState::Paused);
  expectSuccess(name_, "resumeVM", nlohmann::json::object(), "Running");
  EXPECT_EQ(state(name_), virt::PowerState::Running);
  expectSuccess(name_, "stopVMForce", nlohmann::json::object(), "Shutdown");
  EXPECT_EQ(state(name_), virt::PowerState::Shutoff);

  request(name_, "deleteVM", {{"remove-all-storage", true}});
  EXPECT_TRUE(outcome(name_, "deleteVM").empty()) << "the object is deleted";
  engine_->waitIdle();
  const EventCounts deleted = events(name_, "deleteVM");
  EXPECT_EQ(deleted.doing, 1);
  EXPECT_EQ(deleted.done, 1);
  EXPECT_EQ(deleted.warnings, 0);
  EXPECT_FALSE(std::filesystem::exists(path(name_ + ".qcow2")));
  EXPECT_FALSE(domain(name_).has_value());
}

TEST_F(VmLibvirtd, ChangeNumberOfCpuHotplugsWithoutRestart) {
  kube::Object created = createVm();
  ASSERT_FALSE(created.empty());
  EXPECT_EQ(currentVcpus(created), 1) << created["spec"]["domain"]["vcpu"].dump();
  const unsigned int id = virDomainGetID(live());
  kube::Object hot = expectSuccess(name_, "changeNumberOfCPU", {{"count", "2"}}, "Running");
  EXPECT_THAT(message(hot), Not(HasSubstr("next boot")));
  EXPECT_EQ(virDomainGetVcpusFlags(live(), VIR_DOMAIN_AFFECT_LIVE), 2);
  EXPECT_EQ(virDomainGetID(live()), id);  // same QEMU process: no restart
  EXPECT_EQ(currentVcpus(hot), 2) << hot["spec"]["domain"]["vcpu"].dump();

  kube::Object config =
      expectSuccess(name_, "changeNumberOfCPU", {{"count", "1"}, {"config", true}}, "Running");
  EXPECT_THAT(message(config), HasSubstr("takes effect at the next boot"));
  EXPECT_EQ(virDomainGetVcpusFlags(live(), VIR_DOMAIN_AFFECT_LIVE), 2);
  EXPECT_EQ(virDomainGetVcpusFlags(live(), VIR_DOMAIN_AFFECT_CONFIG), 1);

  EXPECT_THAT(expectFailure(name_, "changeNumberOfCPU", {{"count", "3"}}),
              HasSubstr("libvirt error from"));
  EXPECT_EQ(virDomainGetVcpusFlags(live(), VIR_DOMAIN_AFFECT_LIVE), 2);
}

TEST_F(VmLibvirtd, ResizeRamInPlaceAndMaxRamForTheNextBoot) {
  ASSERT_FALSE(createVm().empty());
  const unsigned int id = virDomainGetID(live());
  kube::Object ram = expectSuccess(name_, "resizeRAM", {{"size", "96M"}}, "Running");
  EXPECT_THAT(message(ram), Not(HasSubstr("next boot")));
  kube::Object max = expectSuccess(name_, "resizeMaxRAM", {{"size", "256M"}}, "Running");
  EXPECT_THAT(message(max), HasSubstr("takes effect at the next boot"));
  EXPECT_THAT(inactiveXml(), HasSubstr("<memory unit='KiB'>262144</memory>"));
  EXPECT_THAT(liveXml(), HasSubstr("<memory unit='KiB'>131072</memory>"));
  EXPECT_EQ(virDomainGetID(live()), id);
}

TEST_F(VmLibvirtd, ResizeVmGrowsTheDiskOfARunningDomain) {
  ASSERT_FALSE(createVm().empty());
  const unsigned int id = virDomainGetID(live());
  expectSuccess(name_, "resizeVM", {{"path", "vda"}, {"size", "128M"}}, "Running");
  virDomainBlockInfo info{};
  ASSERT_EQ(virDomainGetBlockInfo(live(), "vda", &info, 0), 0);
  EXPECT_EQ(info.capacity, 128U << 20);
  EXPECT_EQ(virDomainGetID(live()), id);
}

TEST_F(VmLibvirtd, PlugAndUnplugDiskWhileRunning) {
  ASSERT_FALSE(createVm().empty());
  const std::string extra = qcow2("extra.qcow2");
  kube::Object plugged =
      expectSuccess(name_, "plugDisk", {{"source", extra}, {"persistent", true}}, "Running");
  EXPECT_THAT(message(plugged), HasSubstr("attached as 'vdb'"));
  EXPECT_THAT(plugged["spec"]["domain"].dump(), HasSubstr(extra));
  EXPECT_THAT(liveXml(), HasSubstr(extra));
  EXPECT_TRUE(std::filesystem::exists(deviceFile("-disk-vdb.xml")));
  EXPECT_THAT(expectFailure(name_, "plugDisk", {{"source", extra}, {"target", "vdb"}}),
              Not(::testing::IsEmpty()));
  // A firmware-only guest never acknowledges the ACPI eject, so the device stays in the running
  // domain and the outcome says why; the definition loses it at once.
  kube::Object unplugged =
      expectSuccess(name_, "unplugDisk", {{"target", "vdb"}, {"persistent", true}}, "Running");
  EXPECT_THAT(message(unplugged), HasSubstr("guest has not released the device"));
  EXPECT_THAT(inactiveXml(), Not(HasSubstr(extra)));
  EXPECT_FALSE(std::filesystem::exists(deviceFile("-disk-vdb.xml")));
}

TEST_F(VmLibvirtd, PlugDeviceAndUnplugDeviceFromAnXmlFile) {
  ASSERT_FALSE(createVm().empty());
  const std::string disk = qcow2("device.qcow2");
  const std::string device = path("device.xml");
  std::ofstream(device) << "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                           "<source file='"
                        << disk << "'/><target dev='vdc' bus='virtio'/></disk>";
  expectSuccess(name_, "plugDevice", {{"file", device}, {"persistent", true}}, "Running");
  EXPECT_THAT(liveXml(), HasSubstr(disk));
  EXPECT_THAT(inactiveXml(), HasSubstr(disk));
  kube::Object unplugged =
      expectSuccess(name_, "unplugDevice", {{"file", device}, {"persistent", true}}, "Running");
  EXPECT_THAT(inactiveXml(), Not(HasSubstr(disk)));
  EXPECT_THAT(message(unplugged), HasSubstr("guest has not released the device"));
}

TEST_F(VmLibvirtd, PlugAndUnplugAUserModeNic) {
  ASSERT_FALSE(createVm().empty());
  const std::string mac = "52:54:00:7a:00:01";
  kube::Object plugged = expectSuccess(
      name_, "plugNIC", {{"type", "user"}, {"mac", mac}, {"persistent", true}}, "Running");
  EXPECT_THAT(plugged["spec"]["domain"].dump(), HasSubstr(mac));
  EXPECT_THAT(liveXml(), HasSubstr(mac));
  EXPECT_TRUE(std::filesystem::exists(deviceFile("-nic-5254007a0001.xml")));
  EXPECT_THAT(expectFailure(name_, "plugNIC", {{"type", "l3bridge"}, {"source", "br-int"}}),
              HasSubstr("OVN"));
  kube::Object unplugged =
      expectSuccess(name_, "unplugNIC", {{"mac", mac}, {"persistent", true}}, "Running");
  EXPECT_THAT(message(unplugged), HasSubstr("guest has not released the device"));
  EXPECT_THAT(inactiveXml(), Not(HasSubstr(mac)));
  EXPECT_THAT(expectFailure(name_, "unplugNIC", {{"mac", "52:54:00:7a:00:99"}}),
              Not(::testing::IsEmpty()));
}

TEST_F(VmLibvirtd, TuneDiskQosSetsLiveLimits) {
  ASSERT_FALSE(createVm().empty());
  expectSuccess(name_, "tuneDiskQoS", {{"device", "vda"}, {"total-bytes-sec", "10485760"}},
                "Running");
  EXPECT_THAT(liveXml(), HasSubstr("<total_bytes_sec>10485760</total_bytes_sec>"));
}

TEST_F(VmLibvirtd, VncPasswordIsSetAndRemovedOnTheRunningDisplay) {
  // QEMU changes the password only of a display that started with one.
  ASSERT_FALSE(createVm({{"graphics", "vnc,listen=127.0.0.1,password=first"}}).empty());
  expectSuccess(name_, "setVncPassword", {{"password", "s3cret"}}, "Running");
  EXPECT_THAT(xml(name_, VIR_DOMAIN_XML_SECURE), HasSubstr("passwd='s3cret'"));
  EXPECT_THAT(liveXml(), HasSubstr("listen='127.0.0.1'"));  // the listen address is kept
  expectSuccess(name_, "unsetVncPassword", nlohmann::json::object(), "Running");
  EXPECT_THAT(xml(name_, VIR_DOMAIN_XML_SECURE), Not(HasSubstr("passwd=")));
}

TEST_F(VmLibvirtd, ManageIsoChangesAndEjectsMedia) {
  const std::string first = file("first.iso", 1 << 20);
  const std::string second = file("second.iso", 1 << 20);
  ASSERT_FALSE(createVm({{"cdrom", first}}).empty());
  EXPECT_THAT(
      expectFailure(name_, "manageISO", {{"path", "hda"}, {"source", second}, {"insert", true}}),
      HasSubstr("already holds a medium"));
  kube::Object updated =
      expectSuccess(name_, "manageISO", {{"path", first}, {"source", second}}, "Running");
  EXPECT_THAT(updated["spec"]["domain"].dump(), HasSubstr(second));
  EXPECT_THAT(liveXml(), HasSubstr(second));
  EXPECT_THAT(liveXml(), Not(HasSubstr(first)));
  // The guest firmware locked the tray after the change, as a real OS might: force opens it.
  expectSuccess(name_, "manageISO", {{"path", "hda"}, {"eject", true}, {"force", true}}, "Running");
  EXPECT_THAT(liveXml(), Not(HasSubstr(second)));
  kube::Object again =
      expectSuccess(name_, "manageISO", {{"path", "hda"}, {"eject", true}}, "Running");
  EXPECT_THAT(message(again), HasSubstr("already empty"));
  EXPECT_THAT(expectFailure(name_, "manageISO", {{"path", "vda"}, {"eject", true}}),
              HasSubstr("not a cdrom or floppy"));
}

TEST_F(VmLibvirtd, TuneSchedinfoSetsCpuShares) {
  ASSERT_FALSE(createVm().empty());
  request(name_, "tuneSchedinfo", {{"set", "cpu_shares=512"}});
  kube::Object tuned = outcome(name_, "tuneSchedinfo");
  if (tuned["status"]["lastOperation"]["phase"] == "Failed" &&
      message(tuned).find("cgroup") != std::string::npos) {
    GTEST_SKIP() << "this host gives libvirtd no CPU cgroup controller: " << message(tuned);
  }
  EXPECT_EQ(tuned["status"]["lastOperation"]["phase"], "Succeeded") << message(tuned);
  engine_->waitIdle();
  const EventCounts counted = events(name_, "tuneSchedinfo");
  EXPECT_EQ(counted.doing, 1);
  EXPECT_EQ(counted.done, 1);
  EXPECT_EQ(counted.warnings, 0);
  EXPECT_THAT(liveXml(), HasSubstr("<shares>512</shares>"));
}

TEST_F(VmLibvirtd, MigrateVmReportsLibvirtsRefusal) {
  ASSERT_FALSE(createVm().empty());
  // The destination is this very libvirtd: libvirt refuses. The handlers read the node
  // settings per request, and the engine is idle here.
  deps_.settings.migration_connect_uri = kSystemUri;
  EXPECT_THAT(expectFailure(name_, "migrateVM", {{"ip", "127.0.0.1"}}),
              HasSubstr("libvirt error from"));
  EXPECT_EQ(state(name_), virt::PowerState::Running);
}

// The fixture's Open vSwitch: ovs-vswitchd with the userspace datapath and an address-less
// bridge, whose rundir libvirtd was started with (libvirtd_fixture.sh). NICs are plugged into a
// q35 guest whose PCIe slots use native hot-plug (ACPI hot-plug off): the firmware never powers a
// hot-plugged slot on, so QEMU removes the device at once on unplug, without a guest OS.
class VmOpenVswitch : public VmLibvirtd {
 protected:
  void SetUp() override {
    const char* rundir = std::getenv("UNIVIRT_TEST_OVS_RUNDIR");
    if (rundir == nullptr || *rundir == '\0') {
      GTEST_SKIP() << "UNIVIRT_TEST_OVS_RUNDIR is not set: run through ctest (fixture "
                      "virtctl_libvirtd)";
    }
    rundir_ = rundir;
    if (!std::filesystem::exists(rundir_ / "libvirtd-attached")) {
      GTEST_SKIP() << "the libvirtd in use was not started by the virtctl_libvirtd fixture with "
                      "OVS_RUNDIR="
                   << rundir_.string()
                   << " (another libvirtd was already running, or openvswitch-switch is not "
                      "installed: see the virtctl_libvirtd_start output)";
    }
    std::ifstream(rundir_ / "bridge") >> bridge_;
    ASSERT_FALSE(bridge_.empty()) << "the fixture wrote no bridge name";
    VmLibvirtd::SetUp();
  }

  // ovs-vsctl against the fixture's database; trailing newline and quotes dropped.
  std::string vsctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ovs-vsctl", "--db=unix:" + (rundir_ / "db.sock").string(),
                                     "--timeout=30"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = util::runProgram(argv);
    EXPECT_TRUE(run.has_value() && run->succeeded())
        << fmt::format("{}", fmt::join(argv, " ")) << ": "
        << (run.has_value() ? run->err : run.error().message);
    if (!run.has_value()) {
      return {};
    }
    std::string out = run->out;
    std::erase(out, '"');
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return out;
  }
  // The OVS interface (libvirt's tap device) whose external_ids name `mac`, or "".
  std::string interfaceOf(const std::string& mac) {
    return vsctl({"--bare", "--columns=name", "find", "Interface",
                  "external_ids:attached-mac=\"" + mac + "\""});
  }

  // Starts the q35 firmware-only guest through createVM (a domain XML file, as a user would).
  void createQ35Vm() {
    const std::string domain_xml = path("q35.xml");
    std::ofstream(domain_xml) << fmt::format(
        "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<name>{}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/><apic/></features>"
        "<devices><controller type='pci' index='0' model='pcie-root'/>"
        "<controller type='pci' model='pcie-root-port'/>"
        "<controller type='pci' model='pcie-root-port'/>"
        "<controller type='pci' model='pcie-root-port'/></devices>"
        "<qemu:commandline><qemu:arg value='-global'/>"
        "<qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>"
        "</qemu:commandline></domain>",
        name_);
    ASSERT_FALSE(expectSuccess(name_, "createVM", {{"file", domain_xml}}, "Running").empty());
  }

  std::filesystem::path rundir_;
  std::string bridge_;
};

TEST_F(VmOpenVswitch, PlugNicL2BridgeAddsATaggedPortAndUnplugRemovesIt) {
  ASSERT_NO_FATAL_FAILURE(createQ35Vm());
  const std::string mac = "52:54:00:7a:01:01";
  kube::Object plugged = expectSuccess(
      name_, "plugNIC", {{"type", "l2bridge"}, {"source", bridge_}, {"mac", mac}, {"vlan", 42}},
      "Running");
  EXPECT_THAT(message(plugged), Not(HasSubstr("next boot")));
  EXPECT_THAT(plugged["spec"]["domain"].dump(), HasSubstr(mac));
  EXPECT_THAT(liveXml(), HasSubstr("<virtualport type='openvswitch'>"));
  EXPECT_THAT(liveXml(), HasSubstr("<tag id='42'/>"));

  const std::string port = interfaceOf(mac);
  ASSERT_FALSE(port.empty()) << "no OVS interface with attached-mac " << mac << ": "
                             << vsctl({"show"});
  EXPECT_EQ(vsctl({"port-to-br", port}), bridge_);
  EXPECT_EQ(vsctl({"get", "Port", port, "tag"}), "42");
  EXPECT_EQ(vsctl({"get", "Interface", port, "external_ids:attached-mac"}), mac);
  EXPECT_EQ(vsctl({"get", "Interface", port, "external_ids:vm-id"}), domain(name_)->uuid());
  // ovs-vswitchd opened libvirt's tap device: the port is real, not just a database row.
  const std::string ofport = vsctl({"get", "Interface", port, "ofport"});
  EXPECT_NE(ofport, "-1");
  EXPECT_NE(ofport, "[]");

  kube::Object unplugged = expectSuccess(name_, "unplugNIC", {{"mac", mac}}, "Running");
  EXPECT_THAT(message(unplugged), Not(HasSubstr("has not released")));
  EXPECT_THAT(liveXml(), Not(HasSubstr(mac)));
  EXPECT_EQ(interfaceOf(mac), "");
  EXPECT_THAT(vsctl({"list-ports", bridge_}), Not(HasSubstr(port)));
}

// type=bridge means a Linux bridge (upstream's `virsh attach-interface --type bridge`); on an
// Open vSwitch bridge libvirt cannot enslave the tap (and refuses a VLAN tag outright), so the
// request fails with libvirt's reason, leaving neither a port nor a device behind.
TEST_F(VmOpenVswitch, PlugNicBridgeOnAnOpenVswitchBridgeFailsAndLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(createQ35Vm());
  const std::string mac = "52:54:00:7a:01:02";
  const std::string tagged = expectFailure(
      name_, "plugNIC", {{"type", "bridge"}, {"source", bridge_}, {"mac", mac}, {"vlan", 7}});
  EXPECT_THAT(tagged, HasSubstr("libvirt error from"));
  EXPECT_THAT(tagged, HasSubstr("vlan tag not supported"));
  const std::string untagged =
      expectFailure(name_, "plugNIC", {{"type", "bridge"}, {"source", bridge_}, {"mac", mac}});
  EXPECT_THAT(untagged, HasSubstr("libvirt error from"));
  EXPECT_THAT(untagged, HasSubstr(bridge_));
  EXPECT_EQ(interfaceOf(mac), "");
  EXPECT_EQ(vsctl({"list-ports", bridge_}), "");
  EXPECT_THAT(liveXml(), Not(HasSubstr(mac)));
  EXPECT_FALSE(std::filesystem::exists(deviceFile("-nic-5254007a0102.xml")));
  EXPECT_EQ(state(name_), virt::PowerState::Running);
}

}  // namespace
}  // namespace univirt::virtctl::testing
