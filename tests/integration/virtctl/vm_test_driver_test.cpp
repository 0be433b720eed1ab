// VirtualMachine operations against libvirt's test driver (test:///default): the operations the
// driver supports, and every error path that needs no real hypervisor. State is checked through
// a second connection (the test driver shares its state between the connections of a process).

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include "core/util/exec.h"
#include "integration/virtctl/vm_harness.h"
#include "virtctl/vm/owner_metadata.h"

namespace univirt::virtctl::testing {
namespace {

using lifecycle::Phase;
using lifecycle::Settlement;
using ::testing::HasSubstr;
using util::ErrorCode;

constexpr const char* kTestUri = "test:///default";

class VmTestDriver : public ::testing::Test {
 protected:
  // A domain like VM-CreateVMFromISO.json (§9): disk and ISO in the harness dir.
  nlohmann::json isoRequest() {
    return {{"virt_type", "qemu"},
            {"memory", "1024"},
            {"vcpus", "1"},
            {"os_variant", "centos7.0"},
            {"cdrom", harness_.makeFile("centos7.iso")},
            {"disk", harness_.makeFile("disk.qcow2") + ",format=qcow2"},
            {"network", "type=bridge,source=virbr0"},
            {"graphics", "vnc,listen=0.0.0.0"},
            {"noautoconsole", true}};
  }
  void createVm(const std::string& name, const std::string& namespace_name = "default") {
    auto outcome = harness_.run("createAndStartVMFromISO", name, isoRequest(), namespace_name);
    ASSERT_TRUE(outcome) << outcome.error().message;
  }
  virt::PowerState stateOf(const std::string& name) {
    auto domain = harness_.observer().lookupDomain(name);
    EXPECT_TRUE(domain) << domain.error().message;
    return domain ? domain->state().value_or(virt::PowerState::NoState) : virt::PowerState::NoState;
  }
  bool exists(const std::string& name) {
    return harness_.observer().lookupDomain(name).has_value();
  }

  VmHarness harness_{kTestUri};
};

TEST_F(VmTestDriver, CreateAndStartFromIsoDefinesRunsAndRecordsTheOwner) {
  ASSERT_NO_FATAL_FAILURE(createVm("iso-vm", "team-a"));
  EXPECT_EQ(stateOf("iso-vm"), virt::PowerState::Running);
  const std::string xml = domainXml(harness_.observer(), "iso-vm");
  EXPECT_THAT(xml, HasSubstr(harness_.path("disk.qcow2")));
  EXPECT_THAT(xml, HasSubstr(harness_.path("centos7.iso")));
  auto domain = harness_.observer().lookupDomain("iso-vm");
  ASSERT_TRUE(domain);
  char* metadata =
      virDomainGetMetadata(domain->get(), VIR_DOMAIN_METADATA_ELEMENT, vm::kMetadataUri, 0);
  ASSERT_NE(metadata, nullptr);
  auto owner = vm::parseVmMetadata(virt::takeString(metadata));
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->owner_namespace, "team-a");
  EXPECT_EQ(owner->os_variant, "centos7.0");

  auto refreshed = harness_.refresh("createAndStartVMFromISO", "iso-vm", "team-a");
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->reason, "Running");
  EXPECT_EQ(refreshed->message, "The VM is Running");
  EXPECT_EQ(refreshed->phase, Phase::Running);
  EXPECT_EQ(refreshed->spec_fields["powerstate"], "Running");
  EXPECT_EQ(refreshed->spec_fields["nodeName"], "node1");
  EXPECT_EQ(refreshed->spec_fields["domain"]["_type"], "qemu");
  EXPECT_EQ(refreshed->spec_fields["domain"]["name"]["text"], "iso-vm");
  EXPECT_TRUE(refreshed->spec_fields["domain"]["devices"]["disk"].is_array());
  EXPECT_EQ(refreshed->status_fields["nodeName"], "node1");
  EXPECT_EQ(
      harness_.settle("createAndStartVMFromISO", "iso-vm", "team-a").value_or(Settlement::Unknown),
      Settlement::TookEffect);
}

TEST_F(VmTestDriver, CreateAndStartCreatesAMissingDiskWithQemuImg) {
  nlohmann::json request = isoRequest();
  request["disk"] = "path=" + harness_.path("new.qcow2") + ",format=qcow2,size=0.01";
  auto outcome = harness_.run("createAndStartVMFromISO", "new-disk-vm", request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(outcome->message, HasSubstr("created disk '" + harness_.path("new.qcow2") + "'"));
  auto info = util::runProgram({"qemu-img", "info", "--output=json", harness_.path("new.qcow2")});
  ASSERT_TRUE(info && info->succeeded());
  const auto json = nlohmann::json::parse(info->out);
  EXPECT_EQ(json["format"], "qcow2");
  // 0.01 GiB, rounded up to whole 512-byte sectors by qemu-img.
  EXPECT_EQ(json["virtual-size"], 10737664);
}

TEST_F(VmTestDriver, MissingDiskWithoutSizeFailsAndLeavesNothing) {
  nlohmann::json request = isoRequest();
  request["disk"] = harness_.path("absent.qcow2");
  auto outcome = harness_.run("createAndStartVMFromISO", "no-disk-vm", request);
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().message, HasSubstr("give 'size=<GiB>'"));
  EXPECT_FALSE(exists("no-disk-vm"));
}

TEST_F(VmTestDriver, SameNameFromAnotherNamespaceIsRefused) {
  ASSERT_NO_FATAL_FAILURE(createVm("shared-name", "team-a"));
  auto second = harness_.run("createAndStartVMFromISO", "shared-name", isoRequest(), "team-b");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::PermissionDenied);
  EXPECT_THAT(second.error().message, HasSubstr("belongs to the VirtualMachine in namespace "
                                                "'team-a'"));
  auto stop = harness_.run("stopVMForce", "shared-name", {}, "team-b");
  ASSERT_FALSE(stop);
  EXPECT_EQ(stop.error().code, ErrorCode::PermissionDenied);
  EXPECT_FALSE(harness_.refresh("startVM", "shared-name", "team-b"));
  // Deleting the refused object deletes only the object.
  auto deleted = harness_.run("deleteVM", "shared-name", {}, "team-b");
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->object_deleted);
  EXPECT_THAT(deleted->message, HasSubstr("left alone"));
  EXPECT_EQ(stateOf("shared-name"), virt::PowerState::Running);
  // The owner itself gets AlreadyExists.
  auto again = harness_.run("createAndStartVMFromISO", "shared-name", isoRequest(), "team-a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

TEST_F(VmTestDriver, KvmOnANodeWithoutKvmFailsClearly) {
  nlohmann::json request = isoRequest();
  request["virt_type"] = "kvm";
  auto outcome = harness_.run("createAndStartVMFromISO", "kvm-vm", request);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::InvalidArgument);
  EXPECT_THAT(outcome.error().message, HasSubstr("has no KVM"));
  EXPECT_FALSE(exists("kvm-vm"));
}

TEST(VmTestDriverFallback, KvmFallsBackToQemuAndTheOutcomeSaysSo) {
  VmNodeSettings settings = VmHarness::defaultSettings();
  settings.allow_qemu_fallback = true;
  VmHarness harness(kTestUri, settings);
  auto outcome = harness.run("createAndStartVMFromISO", "fallback-vm",
                             {{"virt_type", "kvm"}, {"memory", "128"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(outcome->message, HasSubstr("defined as type 'qemu'"));
  EXPECT_THAT(domainXml(harness.observer(), "fallback-vm"), HasSubstr("<domain type='qemu'"));
}

TEST_F(VmTestDriver, ValidationRefusesUnsupportedOptionsAndForeignPaths) {
  nlohmann::json request = isoRequest();
  request["pxe"] = true;
  auto unsupported = harness_.run("createAndStartVMFromISO", "bad-vm", request);
  ASSERT_FALSE(unsupported);
  EXPECT_THAT(unsupported.error().message, HasSubstr("'pxe' is not supported"));
  request = isoRequest();
  request["disk"] = "/etc/passwd,format=raw";
  auto outside = harness_.run("createAndStartVMFromISO", "bad-vm", request);
  ASSERT_FALSE(outside);
  EXPECT_THAT(outside.error().message, HasSubstr("outside the allowed directories"));
  request = isoRequest();
  request["network"] = "type=bridge,source=br0,portgroup=x";
  auto option = harness_.run("createAndStartVMFromISO", "bad-vm", request);
  ASSERT_FALSE(option);
  EXPECT_THAT(option.error().message, HasSubstr("network option 'portgroup' is not supported"));
  EXPECT_FALSE(exists("bad-vm"));
}

TEST_F(VmTestDriver, CreateAndStartFromImageBootsTheExistingDisk) {
  auto outcome = harness_.run(
      "createAndStartVMFromImage", "image-vm",
      {{"virt_type", "qemu"}, {"memory", "256"}, {"disk", harness_.makeFile("image.qcow2")}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(stateOf("image-vm"), virt::PowerState::Running);
  EXPECT_THAT(domainXml(harness_.observer(), "image-vm"), HasSubstr("<boot dev='hd'/>"));
  auto cdrom = harness_.run("createAndStartVMFromImage", "image-vm2",
                            {{"memory", "256"}, {"cdrom", harness_.makeFile("x.iso")}});
  ASSERT_FALSE(cdrom);
  EXPECT_THAT(cdrom.error().message, HasSubstr("'cdrom' is not supported"));
}

TEST_F(VmTestDriver, CreateVmStartsATransientOwnedDomainFromAFile) {
  const std::string file = harness_.path("domain.xml");
  std::ofstream(file) << "<domain type='qemu'><name>file-vm</name><memory>131072</memory>"
                         "<os><type arch='x86_64'>hvm</type></os></domain>";
  auto outcome = harness_.run("createVM", "file-vm", {{"file", file}}, "ns-x");
  ASSERT_TRUE(outcome) << outcome.error().message;
  auto domain = harness_.observer().lookupDomain("file-vm");
  ASSERT_TRUE(domain);
  EXPECT_FALSE(domain->isPersistent().value_or(true));
  EXPECT_THAT(domainXml(harness_.observer(), "file-vm"), HasSubstr("namespace=\"ns-x\""));
  auto other = harness_.run("createVM", "other-name", {{"file", file}});
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().message, HasSubstr("the names must match"));
}

TEST_F(VmTestDriver, PowerOperationsChangeTheStateAndRefreshReportsIt) {
  ASSERT_NO_FATAL_FAILURE(createVm("power-vm"));
  auto expect_state = [&](const std::string& key, const std::string& reason, Phase phase) {
    auto refreshed = harness_.refresh(key, "power-vm");
    ASSERT_TRUE(refreshed) << refreshed.error().message;
    EXPECT_EQ(refreshed->reason, reason) << key;
    EXPECT_EQ(refreshed->phase, phase) << key;
    EXPECT_EQ(refreshed->spec_fields["powerstate"], reason) << key;
  };
  ASSERT_TRUE(harness_.run("suspendVM", "power-vm"));
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Paused);
  expect_state("suspendVM", "Paused", Phase::Paused);
  EXPECT_EQ(*harness_.settle("suspendVM", "power-vm"), Settlement::TookEffect);
  ASSERT_TRUE(harness_.run("resumeVM", "power-vm"));
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Running);
  ASSERT_TRUE(harness_.run("rebootVM", "power-vm"));
  ASSERT_TRUE(harness_.run("resetVM", "power-vm"));
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Running);
  EXPECT_EQ(*harness_.settle("stopVMForce", "power-vm"), Settlement::DidNotTakeEffect);
  ASSERT_TRUE(harness_.run("stopVMForce", "power-vm"));
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Shutoff);
  expect_state("stopVMForce", "Shutdown", Phase::Succeeded);
  EXPECT_EQ(*harness_.settle("stopVMForce", "power-vm"), Settlement::TookEffect);
  EXPECT_EQ(*harness_.settle("startVM", "power-vm"), Settlement::DidNotTakeEffect);
  auto reboot = harness_.run("rebootVM", "power-vm");
  ASSERT_FALSE(reboot);
  EXPECT_THAT(reboot.error().message, HasSubstr("is not running"));
  auto again = harness_.run("stopVMForce", "power-vm");
  ASSERT_TRUE(again);
  EXPECT_THAT(again->message, HasSubstr("already shut off"));
  ASSERT_TRUE(harness_.run("startVM", "power-vm"));
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Running);
  EXPECT_EQ(*harness_.settle("startVM", "power-vm"), Settlement::TookEffect);
  auto started = harness_.run("startVM", "power-vm");
  ASSERT_TRUE(started);
  EXPECT_THAT(started->message, HasSubstr("already running"));
  ASSERT_TRUE(harness_.run("stopVM", "power-vm"));  // the test driver shuts down at once
  EXPECT_EQ(stateOf("power-vm"), virt::PowerState::Shutoff);
  EXPECT_EQ(*harness_.settle("stopVM", "power-vm"), Settlement::TookEffect);
}

TEST_F(VmTestDriver, OperationsOnAMissingDomainSayWhichDomain) {
  auto start = harness_.run("startVM", "ghost-vm");
  ASSERT_FALSE(start);
  EXPECT_EQ(start.error().code, ErrorCode::NotFound);
  EXPECT_THAT(start.error().message, HasSubstr("domain 'ghost-vm' is not defined on node 'node1'"));
  auto deleted = harness_.run("deleteVM", "ghost-vm");
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->object_deleted);
  EXPECT_EQ(*harness_.settle("deleteVM", "ghost-vm"), Settlement::TookEffect);
}

TEST_F(VmTestDriver, DeleteVmRemovesTheDomainAndTheRequestedStorageOnly) {
  ASSERT_NO_FATAL_FAILURE(createVm("delete-vm"));
  auto refused = harness_.run("deleteVM", "delete-vm", {{"storage", "vdz"}});
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("nothing was deleted"));
  EXPECT_TRUE(exists("delete-vm"));
  auto deleted = harness_.run("deleteVM", "delete-vm", {{"remove-all-storage", true}});
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->object_deleted);
  EXPECT_FALSE(exists("delete-vm"));
  EXPECT_FALSE(std::filesystem::exists(harness_.path("disk.qcow2")));
  EXPECT_TRUE(std::filesystem::exists(harness_.path("centos7.iso")));  // ISOs are shared
  EXPECT_EQ(*harness_.settle("deleteVM", "delete-vm"), Settlement::TookEffect);
}

TEST_F(VmTestDriver, SaveAndRestoreRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(createVm("save-vm", "ns-s"));
  const std::string image = harness_.path("save-vm.save");
  auto saved = harness_.run("saveVM", "save-vm", {{"file", image}}, "ns-s");
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(stateOf("save-vm"), virt::PowerState::Shutoff);
  auto foreign = harness_.run("restoreVM", "save-vm", {{"file", image}}, "ns-other");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::PermissionDenied);
  auto restored = harness_.run("restoreVM", "save-vm", {{"file", image}}, "ns-s");
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(stateOf("save-vm"), virt::PowerState::Running);
}

TEST_F(VmTestDriver, SetBootOrderRewritesTheDefinitionForTheNextBoot) {
  ASSERT_NO_FATAL_FAILURE(createVm("boot-vm"));
  auto outcome = harness_.run("setBootOrder", "boot-vm", {{"order", "hda,vda"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(outcome->message, HasSubstr("next boot"));
  const std::string xml = domainXml(harness_.observer(), "boot-vm", VIR_DOMAIN_XML_INACTIVE);
  EXPECT_THAT(xml, Not(HasSubstr("<boot dev=")));
  EXPECT_LT(xml.find("<target dev='hda'"), xml.find("<boot order='1'/>")) << xml;
  EXPECT_THAT(xml, HasSubstr("<boot order='2'/>"));
  EXPECT_THAT(xml, HasSubstr(vm::kMetadataUri));  // ownership survives the redefinition
  EXPECT_FALSE(harness_.run("setBootOrder", "boot-vm", {{"order", "vdq"}}));
}

TEST_F(VmTestDriver, ResizeMaxRamOnARunningDomainTakesEffectAtTheNextBoot) {
  ASSERT_NO_FATAL_FAILURE(createVm("maxmem-vm"));
  auto outcome = harness_.run("resizeMaxRAM", "maxmem-vm", {{"size", "2G"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(outcome->message, HasSubstr("takes effect at the next boot"));
  EXPECT_THAT(domainXml(harness_.observer(), "maxmem-vm", VIR_DOMAIN_XML_INACTIVE),
              HasSubstr("<memory unit='KiB'>2097152</memory>"));
  EXPECT_FALSE(harness_.run("resizeMaxRAM", "maxmem-vm", {{"size", "2 lots"}}));
}

TEST_F(VmTestDriver, ConfigOnlyChangesOfVcpusAndMemorySayNextBoot) {
  ASSERT_NO_FATAL_FAILURE(createVm("config-vm"));
  auto memory = harness_.run("resizeRAM", "config-vm", {{"size", "524288"}, {"config", true}});
  ASSERT_TRUE(memory) << memory.error().message;
  EXPECT_THAT(memory->message, HasSubstr("next boot"));
  EXPECT_THAT(domainXml(harness_.observer(), "config-vm", VIR_DOMAIN_XML_INACTIVE),
              HasSubstr("<currentMemory unit='KiB'>524288</currentMemory>"));
  auto live = harness_.run("resizeRAM", "config-vm", {{"size", "512M"}});
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_THAT(live->message, Not(HasSubstr("next boot")));
  auto cpus = harness_.run("changeNumberOfCPU", "config-vm",
                           {{"count", "2"}, {"config", true}, {"maximum", true}});
  ASSERT_TRUE(cpus) << cpus.error().message;
  EXPECT_THAT(domainXml(harness_.observer(), "config-vm", VIR_DOMAIN_XML_INACTIVE),
              HasSubstr(">2</vcpu>"));
  EXPECT_FALSE(harness_.run("changeNumberOfCPU", "config-vm", {{"count", "0"}}));
  EXPECT_FALSE(harness_.run("changeNumberOfCPU", "config-vm",
                            {{"count", "1"}, {"current", true}, {"live", true}}));
}

TEST_F(VmTestDriver, TuneMemoryQosSetsLimits) {
  ASSERT_NO_FATAL_FAILURE(createVm("memtune-vm"));
  ASSERT_TRUE(harness_.run("tuneMemoryQoS", "memtune-vm", {{"hard-limit", "1G"}}));
  EXPECT_THAT(domainXml(harness_.observer(), "memtune-vm"),
              HasSubstr("<hard_limit unit='KiB'>1048576</hard_limit>"));
  EXPECT_FALSE(harness_.run("tuneMemoryQoS", "memtune-vm", {}));
}

TEST_F(VmTestDriver, TuneSchedinfoSetsTypedParametersAndNamesUnknownOnes) {
  ASSERT_NO_FATAL_FAILURE(createVm("sched-vm"));
  auto outcome = harness_.run("tuneSchedinfo", "sched-vm", {{"weight", "200"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  // The test driver accepts but does not store scheduler parameters; the real-libvirtd tier
  // checks the stored value.
  auto typed = harness_.run("tuneSchedinfo", "sched-vm", {{"set", "weight=abc"}});
  ASSERT_FALSE(typed);
  EXPECT_THAT(typed.error().message, HasSubstr("'weight' needs a whole number"));
  auto unknown = harness_.run("tuneSchedinfo", "sched-vm", {{"set", "cpu_shares=5"}});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message, HasSubstr("no scheduler parameter 'cpu_shares'"));
}

TEST_F(VmTestDriver, TuneNicQosSetsBandwidth) {
  ASSERT_NO_FATAL_FAILURE(createVm("nicqos-vm"));
  auto outcome = harness_.run("tuneNICQoS", "nicqos-vm",
                              {{"interface", "testnet0"}, {"inbound", "1000,2000,3000"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(domainXml(harness_.observer(), "nicqos-vm"),
              HasSubstr("<inbound average='1000' peak='2000' burst='3000'/>"));
  auto bad =
      harness_.run("tuneNICQoS", "nicqos-vm", {{"interface", "testnet0"}, {"outbound", "1,2,3,4"}});
  ASSERT_FALSE(bad);
}

TEST_F(VmTestDriver, SetGuestPasswordGoesThroughTheAgent) {
  ASSERT_NO_FATAL_FAILURE(createVm("agent-vm"));
  auto outcome = harness_.run("setGuestPassword", "agent-vm",
                              {{"os_type", "linux"}, {"user", "root"}, {"password", "pw"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(harness_.run("setGuestPassword", "agent-vm",
                            {{"os_type", "beos"}, {"user", "root"}, {"password", "pw"}}));
}

TEST_F(VmTestDriver, UpdateOsReplacesTheDiskOfAShutOffDomainOnly) {
  ASSERT_NO_FATAL_FAILURE(createVm("os-vm"));
  const std::string disk = harness_.path("disk.qcow2");
  const std::string image = harness_.makeFile("new-os.qcow2", 4096);
  auto running = harness_.run("updateOS", "os-vm", {{"source", disk}, {"target", image}});
  ASSERT_FALSE(running);
  EXPECT_THAT(running.error().message, HasSubstr("stop it before"));
  ASSERT_TRUE(harness_.run("stopVMForce", "os-vm"));
  auto other = harness_.run("updateOS", "os-vm", {{"source", image}, {"target", image}});
  ASSERT_FALSE(other);
  auto outcome = harness_.run("updateOS", "os-vm", {{"source", disk}, {"target", image}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(std::filesystem::file_size(disk), 4096U);
}

TEST_F(VmTestDriver, ResizeVmOfAShutOffDomainResizesTheImageFile) {
  nlohmann::json request = isoRequest();
  request["disk"] = "path=" + harness_.path("grow.qcow2") + ",size=0.01";
  ASSERT_TRUE(harness_.run("createAndStartVMFromISO", "grow-vm", request));
  ASSERT_TRUE(harness_.run("stopVMForce", "grow-vm"));
  auto outcome = harness_.run("resizeVM", "grow-vm", {{"path", "vda"}, {"size", "20M"}});
  ASSERT_TRUE(outcome) << outcome.error().message;
  auto info = util::runProgram({"qemu-img", "info", "--output=json", harness_.path("grow.qcow2")});
  ASSERT_TRUE(info && info->succeeded());
  EXPECT_EQ(nlohmann::json::parse(info->out)["virtual-size"], 20 << 20);
  EXPECT_FALSE(harness_.run("resizeVM", "grow-vm", {{"path", "vdq"}, {"size", "20M"}}));
}

TEST_F(VmTestDriver, MigrateVmChecksDiskCacheAndReportsLibvirtErrors) {
  ASSERT_NO_FATAL_FAILURE(createVm("migrate-vm"));
  auto cached = harness_.run("migrateVM", "migrate-vm", {{"ip", "127.0.0.1"}});
  ASSERT_FALSE(cached);
  EXPECT_THAT(cached.error().message, HasSubstr("cache='none'"));
  EXPECT_FALSE(harness_.run("migrateVM", "migrate-vm", {{"ip", "not-an-ip"}}));
  nlohmann::json request = isoRequest();
  request["disk"] = harness_.makeFile("nocache.qcow2") + ",cache=none";
  ASSERT_TRUE(harness_.run("createAndStartVMFromISO", "migrate-vm2", request));
  auto unsupported = harness_.run("migrateVM", "migrate-vm2", {{"ip", "127.0.0.1"}});
  ASSERT_FALSE(unsupported);
  EXPECT_THAT(unsupported.error().message, HasSubstr("libvirt error from"));
  EXPECT_TRUE(exists("migrate-vm2"));
}

TEST_F(VmTestDriver, EveryOperationOfTheContractHasARow) {
  const std::vector<std::string> contract = {"createAndStartVMFromISO",
                                             "createAndStartVMFromImage",
                                             "createVM",
                                             "startVM",
                                             "stopVM",
                                             "stopVMForce",
                                             "deleteVM",
                                             "rebootVM",
                                             "resetVM",
                                             "resumeVM",
                                             "suspendVM",
                                             "saveVM",
                                             "restoreVM",
                                             "migrateVM",
                                             "manageISO",
                                             "updateOS",
                                             "plugDevice",
                                             "unplugDevice",
                                             "plugDisk",
                                             "unplugDisk",
                                             "plugNIC",
                                             "unplugNIC",
                                             "changeNumberOfCPU",
                                             "resizeRAM",
                                             "resizeMaxRAM",
                                             "resizeVM",
                                             "tuneDiskQoS",
                                             "tuneSchedinfo",
                                             "tuneNICQoS",
                                             "tuneMemoryQoS",
                                             "setBootOrder",
                                             "setVncPassword",
                                             "unsetVncPassword",
                                             "setGuestPassword"};
  for (const std::string& key : contract) {
    const lifecycle::OperationSpec* operation = harness_.table().find("VirtualMachine", key);
    ASSERT_NE(operation, nullptr) << key;
    EXPECT_FALSE(operation->summary.empty()) << key;
    EXPECT_TRUE(static_cast<bool>(operation->handler)) << key;
  }
  EXPECT_EQ(harness_.table().operationsOf("VirtualMachine").size(), contract.size());
}

}  // namespace
}  // namespace univirt::virtctl::testing
