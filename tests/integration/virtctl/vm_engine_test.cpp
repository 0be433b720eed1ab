// Every VirtualMachine operation the test driver supports, requested as a user does it: the real
// kubectl applies a VirtualMachine with spec.lifecycle to a real kube-lite; the lifecycle engine
// with the production operation table carries it out on test:///default in this process. Each
// step reads the outcome back from the object, counts its Doing/Done Events and checks libvirt's
// state through a second connection. (Device hot-plug, live resizes and VNC need a real libvirtd:
// vm_libvirtd_test.cpp, on the same fixture: vm_engine_fixture.h.)

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "integration/virtctl/vm_engine_fixture.h"

namespace univirt::virtctl {
namespace {

using ::testing::HasSubstr;

constexpr const char* kUri = "test:///default";

class VmThroughEngine : public testing::VmEngineTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(startEngine(kUri)); }

  nlohmann::json isoRequest() {
    return {{"virt_type", "qemu"},
            {"memory", "1024"},
            {"vcpus", "1"},
            {"os_variant", "centos7.0"},
            {"cdrom", file("centos7.iso")},
            {"disk", file("disk.qcow2") + ",format=qcow2"},
            {"network", "type=bridge,source=virbr0"},
            {"graphics", "vnc,listen=127.0.0.1"},
            {"noautoconsole", true}};
  }
};

TEST_F(VmThroughEngine, EveryTestDriverOperationThroughTheObject) {
  const std::string vm = fmt::format("eng-vm-{}", ::getpid());
  kube::Object created = expectSuccess(vm, "createAndStartVMFromISO", isoRequest(), "Running");
  EXPECT_EQ(created["spec"]["domain"]["name"]["text"], vm);
  EXPECT_EQ(created["status"]["phase"], "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);

  expectSuccess(vm, "suspendVM", nlohmann::json::object(), "Paused");
  EXPECT_EQ(state(vm), virt::PowerState::Paused);
  expectSuccess(vm, "resumeVM", nlohmann::json::object(), "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);
  expectSuccess(vm, "rebootVM", nlohmann::json::object(), "Running");
  expectSuccess(vm, "resetVM", nlohmann::json::object(), "Running");

  expectSuccess(vm, "setBootOrder", {{"order", "hda,vda"}}, "Running");
  EXPECT_THAT(xml(vm, VIR_DOMAIN_XML_INACTIVE), HasSubstr("<boot order='1'/>"));
  kube::Object maxmem = expectSuccess(vm, "resizeMaxRAM", {{"size", "2G"}}, "Running");
  EXPECT_THAT(maxmem["status"]["lastOperation"]["message"].get<std::string>(),
              HasSubstr("next boot"));
  expectSuccess(vm, "resizeRAM", {{"size", "524288"}, {"config", true}}, "Running");
  expectSuccess(vm, "changeNumberOfCPU", {{"count", "1"}, {"config", true}}, "Running");
  expectSuccess(vm, "tuneMemoryQoS", {{"hard-limit", "1G"}}, "Running");
  expectSuccess(vm, "tuneSchedinfo", {{"weight", "200"}}, "Running");
  expectSuccess(vm, "tuneNICQoS", {{"interface", "testnet0"}, {"inbound", "1000,2000,3000"}},
                "Running");
  EXPECT_THAT(xml(vm), HasSubstr("<inbound average='1000' peak='2000' burst='3000'/>"));
  expectSuccess(vm, "setGuestPassword",
                {{"os_type", "linux"}, {"user", "root"}, {"password", "pw; touch x"}}, "Running");

  const std::string saved = (dir_ / "saved.img").string();
  expectSuccess(vm, "saveVM", {{"file", saved}}, "Shutdown");
  EXPECT_TRUE(std::filesystem::exists(saved));
  expectSuccess(vm, "restoreVM", {{"file", saved}}, "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);

  expectSuccess(vm, "stopVMForce", nlohmann::json::object(), "Shutdown");
  EXPECT_EQ(state(vm), virt::PowerState::Shutoff);
  const std::string image = file("new-os.qcow2", 4096);
  expectSuccess(vm, "updateOS", {{"source", (dir_ / "disk.qcow2").string()}, {"target", image}},
                "Shutdown");
  EXPECT_EQ(std::filesystem::file_size(dir_ / "disk.qcow2"), 4096U);
  expectSuccess(vm, "startVM", nlohmann::json::object(), "Running");
  expectSuccess(vm, "stopVM", nlohmann::json::object(), "Shutdown");

  // A migration to this very node cannot work; it must fail with a message, not vanish.
  expectFailure(vm, "migrateVM", {{"ip", "127.0.0.1"}});

  request(vm, "deleteVM");
  EXPECT_TRUE(outcome(vm, "deleteVM").empty()) << "the object is deleted";
  EXPECT_FALSE(observer_->lookupDomain(vm).has_value());
}

TEST_F(VmThroughEngine, CreateVmFromAFileAndFromAnImage) {
  const std::string from_file = fmt::format("eng-file-{}", ::getpid());
  const std::string path = (dir_ / "domain.xml").string();
  std::ofstream(path) << fmt::format(
      "<domain type='qemu'><name>{}</name><memory>131072</memory>"
      "<os><type arch='x86_64'>hvm</type></os></domain>",
      from_file);
  expectSuccess(from_file, "createVM", {{"file", path}}, "Running");
  EXPECT_THAT(xml(from_file), HasSubstr(fmt::format("namespace=\"{}\"", ns_)));

  const std::string from_image = fmt::format("eng-image-{}", ::getpid());
  expectSuccess(from_image, "createAndStartVMFromImage",
                {{"virt_type", "qemu"}, {"memory", "256"}, {"disk", file("image.qcow2")}},
                "Running");
  EXPECT_EQ(state(from_image), virt::PowerState::Running);
}

TEST_F(VmThroughEngine, ResizeVmOfAShutOffDomainThroughTheObject) {
  const std::string vm = fmt::format("eng-grow-{}", ::getpid());
  nlohmann::json create = isoRequest();
  create["disk"] = "path=" + (dir_ / "grow.qcow2").string() + ",size=0.01";
  expectSuccess(vm, "createAndStartVMFromISO", create, "Running");
  expectSuccess(vm, "stopVMForce", nlohmann::json::object(), "Shutdown");
  expectSuccess(vm, "resizeVM", {{"path", "vda"}, {"size", "20M"}}, "Shutdown");
}

}  // namespace
}  // namespace univirt::virtctl
