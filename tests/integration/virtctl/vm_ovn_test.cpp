// VM NICs of type l3bridge (vm/ovn_nics.h): requested as a user does it (kubectl apply of
// spec.lifecycle to a real kube-lite, the lifecycle engine with the production table) against a
// real OVN northbound ovsdb-server the test starts on a unix socket in a temp dir
// (tests/integration/ovnctl/ovsdb_server.h); the database is read back with ovn-nbctl.
//  - VmOvnThroughEngine: libvirt's test driver (test:///default), which defines and starts a
//    domain with an Open vSwitch NIC but cannot hot-plug: createAndStartVMFromISO binds, deleteVM
//    unbinds, failures leave nothing behind, and without --ovn-nb every l3bridge request fails
//    before anything runs.
//  - VmOvnLibvirtd: the shared real libvirtd of the virtctl_libvirtd fixture with its Open
//    vSwitch (libvirtd runs ovs-vsctl with the fixture's OVS_RUNDIR): plugNIC/unplugNIC of an
//    l3bridge NIC, the logical switch port named after the iface-id libvirt gave the interface.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "integration/ovnctl/ovsdb_server.h"
#include "integration/virtctl/vm_engine_fixture.h"

namespace univirt::virtctl::testing {
namespace {

using ovnctl::testing::kNorthboundSchema;
using ovnctl::testing::OvsdbServer;
using ::testing::HasSubstr;
using ::testing::Not;

std::string lowerTestName() {
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::transform(test.begin(), test.end(), test.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return test.substr(0, 40);
}

// A northbound database with logical switch sw1 (10.0.0.0/24).
std::unique_ptr<OvsdbServer> startNorthbound() {
  auto nb = OvsdbServer::start(kNorthboundSchema);
  EXPECT_TRUE(nb.has_value()) << nb.error().message;
  if (!nb.has_value()) {
    return nullptr;
  }
  (*nb)->nbctl({"ls-add", "sw1"});
  (*nb)->nbctl({"set", "Logical_Switch", "sw1", "other_config:subnet=10.0.0.0/24"});
  return std::move(*nb);
}

class VmOvnThroughEngine : public VmEngineTest {
 protected:
  void SetUp() override {
    nb_ = startNorthbound();
    ASSERT_NE(nb_, nullptr);
    deps_.ovn_northbound = nb_->endpoint();
    ASSERT_NO_FATAL_FAILURE(startEngine("test:///default"));
    name_ = fmt::format("uvt-{}-{}", lowerTestName(), ::getpid());
  }

  nlohmann::json isoRequest(const std::string& network) {
    return {{"virt_type", "qemu"},
            {"memory", "1024"},
            {"vcpus", "1"},
            {"os_variant", "centos7.0"},
            {"cdrom", file("centos7.iso")},
            {"disk", "path=" + path(name_ + ".qcow2") + ",size=0.01"},
            {"network", network},
            {"graphics", "vnc,listen=127.0.0.1"},
            {"noautoconsole", true}};
  }

  // Logical switch ports univirt recorded for `mac`, by name.
  std::string portsOfMac(const std::string& mac) const {
    return nb_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port",
                       fmt::format("external_ids:univirt-mac=\"{}\"", mac)});
  }
  std::string switchIds() const {
    return nb_->nbctl({"get", "Logical_Switch", "sw1", "external_ids"});
  }

  std::unique_ptr<OvsdbServer> nb_;
  std::string name_;
};

TEST_F(VmOvnThroughEngine, CreateBindsTheL3BridgeNicAndDeleteUnbindsIt) {
  const std::string mac = "52:54:00:0c:00:01";
  kube::Object created = expectSuccess(
      name_, "createAndStartVMFromISO",
      isoRequest(fmt::format("type=l3bridge,source=br-int,switch=sw1,ip=10.0.0.21,mac={}", mac)),
      "Running");
  const std::string port = fmt::format("{}-5254000c0001", name_);
  EXPECT_THAT(message(created), HasSubstr(fmt::format("logical switch port '{}'", port)));
  EXPECT_THAT(xml(name_, VIR_DOMAIN_XML_INACTIVE), HasSubstr("<virtualport type='openvswitch'"));
  EXPECT_EQ(portsOfMac(mac), port);
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", port, "addresses"}),
            "[\"52:54:00:0c:00:01 10.0.0.21\"]");
  EXPECT_THAT(nb_->nbctl({"lsp-list", "sw1"}), HasSubstr(fmt::format("({})", port)));
  EXPECT_THAT(switchIds(),
              HasSubstr(fmt::format("univirt-vm-nic-5254000c0001=\"{} 10.0.0.21\"", name_)));

  request(name_, "deleteVM");
  EXPECT_TRUE(outcome(name_, "deleteVM").empty()) << "the object is deleted";
  EXPECT_FALSE(observer_->lookupDomain(name_).has_value());
  EXPECT_EQ(portsOfMac(mac), "");
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}), "");
  EXPECT_THAT(switchIds(), Not(HasSubstr("univirt-vm-nic-")));
}

TEST_F(VmOvnThroughEngine, ADynamicNicGetsARandomMacAndADynamicAddress) {
  expectSuccess(name_, "createAndStartVMFromISO",
                isoRequest("type=l3bridge,source=br-int,switch=sw1"), "Running");
  const std::string addresses =
      nb_->nbctl({"--bare", "--columns=addresses", "find", "Logical_Switch_Port",
                  fmt::format("external_ids:univirt-domain={}", name_)});
  ASSERT_THAT(addresses, HasSubstr(" dynamic"));
  const std::string mac = addresses.substr(0, addresses.find(' '));
  EXPECT_THAT(xml(name_, VIR_DOMAIN_XML_INACTIVE),
              HasSubstr(fmt::format("<mac address='{}'/>", mac)));
}

TEST_F(VmOvnThroughEngine, AnUnknownSwitchLeavesNoDomainAndNoPort) {
  const std::string failure =
      expectFailure(name_, "createAndStartVMFromISO",
                    isoRequest("type=l3bridge,source=br-int,switch=nosuch,mac=52:54:00:0c:00:02"));
  EXPECT_THAT(failure, HasSubstr("nosuch"));
  EXPECT_THAT(failure, HasSubstr("removed again"));
  EXPECT_FALSE(observer_->lookupDomain(name_).has_value());
  EXPECT_FALSE(std::filesystem::exists(path(name_ + ".qcow2")));
  EXPECT_EQ(portsOfMac("52:54:00:0c:00:02"), "");
}

TEST_F(VmOvnThroughEngine, WithoutANorthboundL3BridgeRequestsFailBeforeAnythingRuns) {
  deps_.ovn_northbound.clear();  // virtctl started with --ovn-nb ''
  const std::string before = nb_->dump();
  const std::string failure =
      expectFailure(name_, "createAndStartVMFromISO",
                    isoRequest("type=l3bridge,source=br-int,switch=sw1,ip=10.0.0.22"));
  EXPECT_THAT(failure, HasSubstr("--ovn-nb"));
  EXPECT_FALSE(observer_->lookupDomain(name_).has_value());
  EXPECT_FALSE(std::filesystem::exists(path(name_ + ".qcow2")));

  // plugNIC/unplugNIC: refused before the domain is even looked up.
  expectSuccess(name_, "createAndStartVMFromISO", isoRequest("type=user"), "Running");
  const std::string defined = xml(name_, VIR_DOMAIN_XML_INACTIVE);
  EXPECT_THAT(expectFailure(name_, "plugNIC",
                            {{"type", "l3bridge"},
                             {"source", "br-int"},
                             {"switch", "sw1"},
                             {"mac", "52:54:00:0c:00:03"}}),
              HasSubstr("--ovn-nb"));
  EXPECT_THAT(
      expectFailure(name_, "unplugNIC", {{"type", "l3bridge"}, {"mac", "52:54:00:0c:00:03"}}),
      HasSubstr("--ovn-nb"));
  EXPECT_EQ(xml(name_, VIR_DOMAIN_XML_INACTIVE), defined);
  EXPECT_FALSE(
      std::filesystem::exists(deps_.settings.device_dir + "/" + name_ + "-nic-5254000c0003.xml"));
  EXPECT_EQ(nb_->dump(), before);
}

TEST_F(VmOvnThroughEngine, MalformedL3BridgeParametersAreRefusedUpFront) {
  EXPECT_THAT(expectFailure(name_, "createAndStartVMFromISO",
                            isoRequest("type=l3bridge,source=br-int,switch=sw1,ip=10.0.0.300")),
              HasSubstr("10.0.0.300"));
  EXPECT_THAT(
      expectFailure(name_, "createAndStartVMFromISO", isoRequest("type=l3bridge,source=br-int")),
      HasSubstr("'switch'"));
  EXPECT_THAT(expectFailure(name_, "createAndStartVMFromISO",
                            isoRequest("type=bridge,source=br0,switch=sw1")),
              HasSubstr("l3bridge"));
  EXPECT_FALSE(observer_->lookupDomain(name_).has_value());
}

// The fixture's Open vSwitch (libvirtd_fixture.sh): ovs-vswitchd with the userspace datapath and
// an address-less bridge, libvirtd started with its OVS_RUNDIR; the guest is a q35 firmware-only
// one whose PCIe slots use native hot-plug, so an unplug completes without a guest OS.
class VmOvnLibvirtd : public VmEngineTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/sbin/libvirtd")) {
      GTEST_SKIP() << "libvirt-daemon is not installed";
    }
    const char* rundir = std::getenv("UNIVIRT_TEST_OVS_RUNDIR");
    if (rundir == nullptr || *rundir == '\0') {
      GTEST_SKIP() << "UNIVIRT_TEST_OVS_RUNDIR is not set: run through ctest (fixture "
                      "virtctl_libvirtd)";
    }
    rundir_ = rundir;
    if (!std::filesystem::exists(rundir_ / "libvirtd-attached")) {
      GTEST_SKIP() << "the libvirtd in use was not started by the virtctl_libvirtd fixture with "
                      "OVS_RUNDIR="
                   << rundir_.string();
    }
    std::ifstream(rundir_ / "bridge") >> bridge_;
    ASSERT_FALSE(bridge_.empty()) << "the fixture wrote no bridge name";
    nb_ = startNorthbound();
    ASSERT_NE(nb_, nullptr);
    deps_.ovn_northbound = nb_->endpoint();
    deps_.ovs_db = "unix:" + (rundir_ / "db.sock").string();
    ASSERT_NO_FATAL_FAILURE(startEngine("qemu:///system"));
    name_ = fmt::format("uvt-{}-{}", lowerTestName(), ::getpid());
  }

  std::string vsctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ovs-vsctl", "--db=" + deps_.ovs_db, "--timeout=30"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = util::runProgram(argv);
    EXPECT_TRUE(run.has_value() && run->succeeded())
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
  std::unique_ptr<OvsdbServer> nb_;
  std::string name_;
};

TEST_F(VmOvnLibvirtd, PlugNicL3BridgeBindsTheOvsInterfaceAndUnplugUnbindsIt) {
  ASSERT_NO_FATAL_FAILURE(createQ35Vm());
  const std::string mac = "52:54:00:0c:01:01";
  kube::Object plugged = expectSuccess(name_, "plugNIC",
                                       {{"type", "l3bridge"},
                                        {"source", bridge_},
                                        {"switch", "sw1"},
                                        {"ip", "10.0.0.41"},
                                        {"mac", mac}},
                                       "Running");
  EXPECT_THAT(xml(name_), HasSubstr("<virtualport type='openvswitch'>"));
  // libvirt plugged a tap into the bridge with iface-id = its interfaceid; the logical switch
  // port carries that name, which is what ovn-controller binds.
  const std::string interface = vsctl({"--bare", "--columns=name", "find", "Interface",
                                       "external_ids:attached-mac=\"" + mac + "\""});
  ASSERT_FALSE(interface.empty()) << vsctl({"show"});
  EXPECT_EQ(vsctl({"port-to-br", interface}), bridge_);
  const std::string iface_id = vsctl({"get", "Interface", interface, "external_ids:iface-id"});
  ASSERT_FALSE(iface_id.empty());
  EXPECT_THAT(message(plugged), HasSubstr(fmt::format("logical switch port '{}'", iface_id)));
  EXPECT_EQ(nb_->nbctl({"get", "Logical_Switch_Port", iface_id, "addresses"}),
            "[\"52:54:00:0c:01:01 10.0.0.41\"]");
  EXPECT_THAT(nb_->nbctl({"lsp-list", "sw1"}), HasSubstr(fmt::format("({})", iface_id)));

  kube::Object unplugged =
      expectSuccess(name_, "unplugNIC", {{"mac", mac}, {"type", "l3bridge"}}, "Running");
  EXPECT_THAT(message(unplugged), HasSubstr("unbound from OVN"));
  EXPECT_THAT(xml(name_), Not(HasSubstr(mac)));
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}), "");
  EXPECT_THAT(nb_->nbctl({"get", "Logical_Switch", "sw1", "external_ids"}),
              Not(HasSubstr("univirt-vm-nic-")));
}

TEST_F(VmOvnLibvirtd, PlugNicToAnUnknownSwitchDetachesTheNicAgain) {
  ASSERT_NO_FATAL_FAILURE(createQ35Vm());
  const std::string mac = "52:54:00:0c:01:02";
  const std::string failure = expectFailure(
      name_, "plugNIC",
      {{"type", "l3bridge"}, {"source", bridge_}, {"switch", "nosuch"}, {"mac", mac}});
  EXPECT_THAT(failure, HasSubstr("nosuch"));
  EXPECT_THAT(failure, HasSubstr("detached again"));
  EXPECT_THAT(xml(name_), Not(HasSubstr(mac)));
  EXPECT_EQ(nb_->nbctl({"lsp-list", "sw1"}), "");
}

}  // namespace
}  // namespace univirt::virtctl::testing
