#include "core/lifecycle/operation_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/core/lifecycle/test_table.h"

namespace univirt::lifecycle {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::makeTestTable;
using testing::testContext;

// Validates `lifecycle` for a VirtualMachine named vm1 and returns the error message ("" when
// accepted), checking that RequestError carries the same message and the error code.
std::string refusal(const OperationTable& table, const json& lifecycle,
                    std::string_view kind = "VirtualMachine") {
  RequestError detail;
  auto request = table.validate(kind, "vm1", lifecycle, testContext(), &detail);
  if (request) {
    return "";
  }
  EXPECT_EQ(request.error().code, util::ErrorCode::InvalidArgument);
  EXPECT_EQ(detail.message, request.error().message);
  return request.error().message;
}

TEST(MatchKey, LowerCasesAndDropsUnderscores) {
  EXPECT_EQ(matchKey("createAndStartVMFromISO"), "createandstartvmfromiso");
  EXPECT_EQ(matchKey("CHANGE_NUMBER_OF_CPU"), "changenumberofcpu");
  EXPECT_EQ(matchKey("start_VM"), matchKey("startVM"));
}

TEST(OperationTable, FindsOperationsCaseInsensitivelyPerKind) {
  const OperationTable table = makeTestTable();
  const OperationSpec* operation = table.find("VirtualMachine", "STARTvm");
  ASSERT_NE(operation, nullptr);
  EXPECT_EQ(operation->key, "startVM");
  EXPECT_EQ(table.find("VirtualMachine", "start_vm"), operation);
  EXPECT_EQ(table.find("VirtualMachineDisk", "startVM"), nullptr);
  EXPECT_EQ(table.find("VirtualMachine", "startVMs"), nullptr);
}

TEST(OperationTable, ListsKindsInOrderOfFirstAppearanceAndOperationsPerKind) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(table.kinds(), (std::vector<std::string>{"VirtualMachine", "VirtualMachineDisk",
                                                     "VirtualMachinePool"}));
  std::vector<std::string> keys;
  for (const OperationSpec* operation : table.operationsOf("VirtualMachine")) {
    keys.push_back(operation->key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"startVM", "createAndStartVMFromISO", "stopVM"}));
  EXPECT_TRUE(table.operationsOf("VirtualMachineGPU").empty());
  EXPECT_EQ(table.all().size(), 5U);
}

TEST(OperationTableDeathTest, RefusesAnOperationDeclaredTwice) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  OperationTable table = makeTestTable();
  OperationSpec again = *table.find("VirtualMachine", "startVM");
  again.key = "STARTVM";
  EXPECT_DEATH(table.add(again), "declared once per kind");
  OperationSpec twice = again;
  twice.key = "resetVM";
  twice.params = {{.name = "bypass-cache"}, {.name = "bypass_cache"}};
  EXPECT_DEATH(table.add(twice), "declared once per operation");
}

TEST(OperationTable, AcceptsTheUpstreamSampleRequest) {
  const OperationTable table = makeTestTable();
  // crd-contract.md §9, VM-CreateVMFromISO.json, with the cdrom path inside the test roots.
  const json lifecycle = json::parse(R"({"createAndStartVMFromISO": {
      "virt_type": "kvm", "memory": "1024", "vcpus": "1", "os_variant": "centos7.0",
      "cdrom": "/var/lib/libvirt/iso/centos7-minimal-1511.iso",
      "disk": "/var/lib/libvirt/pooltest/disktest/disktest.qcow2,format=qcow2",
      "network": "type=bridge,source=virbr0", "graphics": "vnc,listen=0.0.0.0",
      "noautoconsole": true}})");
  auto request = table.validate("VirtualMachine", "test", lifecycle, testContext());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->operation->key, "createAndStartVMFromISO");
  const Params& params = request->params;
  EXPECT_EQ(params.integer("memory"), 1024);
  EXPECT_EQ(params.integer("vcpus"), 1);
  EXPECT_EQ(params.string("virt_type"), "kvm");
  EXPECT_EQ(params.string("cdrom"), "/var/lib/libvirt/iso/centos7-minimal-1511.iso");
  EXPECT_EQ(params.string("network"), "type=bridge,source=virbr0");
  EXPECT_TRUE(params.flag("noautoconsole"));
  EXPECT_EQ(params.string("name"), "test");
  EXPECT_EQ(params.entries().size(), 10U);
}

TEST(OperationTable, InjectsTheObjectNameOverwritingAUserValue) {
  const OperationTable table = makeTestTable();
  auto request = table.validate("VirtualMachine", "vm1",
                                json{{"startVM", {{"domain", "someone-else"}}}}, testContext());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->params.string("domain"), "vm1");
  // Even a value of the wrong type: upstream replaces it unseen.
  auto disk = table.validate("VirtualMachineDisk", "disk1",
                             json::parse(R"({"createDisk": {"vol": {"x": 1}, "pool": "p",
                                            "capacity": "10G"}})"),
                             testContext());
  ASSERT_TRUE(disk) << disk.error().message;
  EXPECT_EQ(disk->params.string("vol"), "disk1");
}

TEST(OperationTable, RefusesALifecycleThatIsNotOneOperation) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json::object()), "spec.lifecycle is empty");
  EXPECT_EQ(refusal(table, json::array()),
            "spec.lifecycle: expected an object holding one operation, got an array");
  EXPECT_EQ(refusal(table, "startVM"),
            "spec.lifecycle: expected an object holding one operation, got the string 'startVM'");
  EXPECT_EQ(refusal(table, json{{"startVM", json::object()}, {"stopVM", json::object()}}),
            "spec.lifecycle holds 2 operations ('startVM', 'stopVM'); send one operation per "
            "request");
}

TEST(OperationTable, RefusesAnUnknownOperationListingTheKnownOnes) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"fooVM", json::object()}}),
            "unknown operation 'fooVM' for VirtualMachine; known operations: startVM, "
            "createAndStartVMFromISO, stopVM");
  EXPECT_EQ(refusal(table, json{{"createdisk", json::object()}}),
            "unknown operation 'createdisk' for VirtualMachine; known operations: startVM, "
            "createAndStartVMFromISO, stopVM ('createDisk' is an operation of "
            "VirtualMachineDisk)");
  EXPECT_EQ(refusal(table, json{{"startVM", json::object()}}, "VirtualMachineGPU"),
            "unknown operation 'startVM' for VirtualMachineGPU; VirtualMachineGPU takes no "
            "operations ('startVM' is an operation of VirtualMachine)");
}

TEST(OperationTable, FillsRequestErrorWithTheOperationAsWritten) {
  const OperationTable table = makeTestTable();
  RequestError detail;
  auto request = table.validate("VirtualMachine", "vm1", json{{"STARTVM", {{"paused", 3}}}},
                                testContext(), &detail);
  ASSERT_FALSE(request);
  EXPECT_EQ(detail.operation, "STARTVM");
  EXPECT_EQ(detail.message,
            "spec.lifecycle.STARTVM.paused: expected a boolean (true, false, \"true\" or "
            "\"false\"), got the number 3");
  // Without a RequestError the result alone carries the message.
  auto bare =
      table.validate("VirtualMachine", "vm1", json{{"STARTVM", {{"paused", 3}}}}, testContext());
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().message, detail.message);
}

TEST(OperationTable, TakesNullAsNoParametersAndRefusesOtherBodies) {
  const OperationTable table = makeTestTable();
  auto request = table.validate("VirtualMachine", "vm1", json{{"startVM", nullptr}}, testContext());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->params.entries().size(), 1U);
  EXPECT_EQ(refusal(table, json{{"startVM", "paused"}}),
            "spec.lifecycle.startVM: expected an object of parameters, got the string 'paused'");
  EXPECT_EQ(refusal(table, json{{"startVM", json::array()}}),
            "spec.lifecycle.startVM: expected an object of parameters, got an array");
}

TEST(OperationTable, RefusesUnknownParametersListingTheSettableOnes) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"startVM", {{"pasued", true}}}}),
            "spec.lifecycle.startVM.pasued: unknown parameter; startVM takes: paused, force-boot");
  EXPECT_EQ(refusal(table, json{{"createDisk", {{"size", "1G"}}}}, "VirtualMachineDisk"),
            "spec.lifecycle.createDisk.size: unknown parameter; createDisk takes: pool, "
            "capacity, format, type");
}

TEST(OperationTable, RefusesUnsupportedOptionsByName) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"startVM", {{"pass-fds", "3"}}}}),
            "spec.lifecycle.startVM.pass-fds: the option 'pass-fds' is not supported by univirt "
            "(a daemon cannot pass file descriptors to a domain)");
  EXPECT_EQ(refusal(table, json{{"createAndStartVMFromISO", {{"memory", 64}, {"pxe", true}}}}),
            "spec.lifecycle.createAndStartVMFromISO.pxe: the option 'pxe' is not supported by "
            "univirt");
}

TEST(OperationTable, AcceptsDashAndUnderscoreSpellingsOfAParameterOnce) {
  const OperationTable table = makeTestTable();
  auto request = table.validate("VirtualMachine", "vm1",
                                json{{"startVM", {{"force_boot", "True"}}}}, testContext());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_TRUE(request->params.flag("force-boot"));
  EXPECT_FALSE(request->params.has("force_boot"));
  EXPECT_EQ(refusal(table, json{{"startVM", {{"force_boot", true}, {"force-boot", false}}}}),
            "spec.lifecycle.startVM.force_boot: 'force-boot' is given twice (spelled with '-' "
            "and '_')");
}

TEST(OperationTable, RefusesMissingRequiredParametersByName) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"createAndStartVMFromISO", json::object()}}),
            "spec.lifecycle.createAndStartVMFromISO.memory: required parameter is missing");
  EXPECT_EQ(refusal(table, json{{"createDisk", json::object()}}, "VirtualMachineDisk"),
            "spec.lifecycle.createDisk: required parameters are missing: pool, capacity");
  // The name field is required but injected, so it is never missing.
  EXPECT_EQ(refusal(table, json{{"startVM", json::object()}}), "");
}

TEST(OperationTable, ChecksAllowedValuesExactly) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"stopVM", {{"mode", "acpi"}}}}), "");
  EXPECT_EQ(refusal(table, json{{"stopVM", {{"mode", "ACPI"}}}}),
            "spec.lifecycle.stopVM.mode: 'ACPI' is not one of acpi, agent, initctl, signal, "
            "paravirt");
  EXPECT_EQ(refusal(table, json{{"stopVM", {{"mode", 1}}}}),
            "spec.lifecycle.stopVM.mode: '1' is not one of acpi, agent, initctl, signal, "
            "paravirt");
}

TEST(OperationTable, RunsTheParameterValidatorAfterTheTypeCheck) {
  const OperationTable table = makeTestTable();
  EXPECT_EQ(refusal(table, json{{"createAndStartVMFromISO",
                                 {{"memory", 64}, {"disk", "/var/lib/libvirt/a,format=vmdk"}}}}),
            "spec.lifecycle.createAndStartVMFromISO.disk: the disk format 'vmdk' is not "
            "supported");
  EXPECT_EQ(refusal(table, json{{"createAndStartVMFromISO",
                                 {{"memory", 64}, {"disk", "/var/lib/libvirt/a,format=raw"}}}}),
            "");
}

TEST(OperationTable, EscapesControlCharactersAndCutsLongUserTextInMessages) {
  const OperationTable table = makeTestTable();
  const std::string message = refusal(table, json{{"startVM", {{"evil\nlevel=error", 1}}}});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_THAT(message, HasSubstr("spec.lifecycle.startVM.evil\\x0alevel=error: unknown"));
  const std::string long_key(500, 'k');
  EXPECT_LT(refusal(table, json{{long_key, json::object()}}).size(), 200U);
}

}  // namespace
}  // namespace univirt::lifecycle
