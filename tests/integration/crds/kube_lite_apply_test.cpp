// The generated CRDs with the real kubectl against kube-lite: they are accepted (structural),
// upstream's sample requests keep every parameter as sent, unknown operations and parameters
// are kept for virtctl to refuse, and the printer columns are upstream's plus PHASE in -o wide.

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "tools/crdgen/all_operations.h"
#include "tools/crdgen/crd_builder.h"
#include "tools/crdgen/crd_kinds.h"
#include "tools/crdgen/yaml_writer.h"
#include "unit/core/lifecycle/test_table.h"

namespace univirt::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string sourcePath(const std::string& relative) {
  return std::string(UNIVIRT_SOURCE_DIR) + "/" + relative;
}

// Upstream's scripts/examples/*.json, verbatim (tests/fixtures/upstream-examples/README.md).
std::string upstreamExample(const std::string& name) {
  return sourcePath("tests/fixtures/upstream-examples/" + name);
}

class CrdsOnKubeLite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << server_.lastError();
    const ProcessResult applied =
        server_.kubectl({"apply", "-f", sourcePath("daemons/crds/crds.yaml")});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    const ProcessResult established = server_.kubectl(
        {"wait", "--for=condition=Established", "crd", "-l", "doslab.io", "--timeout=30s"});
    ASSERT_EQ(established.exit_code, 0) << established.out << established.err;
  }

  // Applies a JSON object through stdin and returns kubectl's result.
  ProcessResult applyJson(const json& object) const {
    return server_.kubectl({"apply", "-f", "-"}, {}, object.dump());
  }

  json getJson(const std::string& resource, const std::string& name) const {
    const ProcessResult got = server_.kubectl({"get", resource, name, "-o", "json"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return json::parse(got.out, nullptr, false);
  }

  KubeLiteProcess server_;
};

TEST_F(CrdsOnKubeLite, ServesEveryContractKindWithItsShortNames) {
  const ProcessResult crds = server_.kubectl({"get", "crd", "-l", "doslab.io", "-o", "name"});
  ASSERT_EQ(crds.exit_code, 0) << crds.err;
  for (const crdgen::KindInfo& kind : crdgen::contractKinds()) {
    EXPECT_NE(crds.out.find("customresourcedefinition.apiextensions.k8s.io/" + kind.plural +
                            ".doslab.io\n"),
              std::string::npos)
        << crds.out;
    for (const std::string& short_name : kind.short_names) {
      const ProcessResult listed = server_.kubectl({"get", short_name});
      EXPECT_EQ(listed.exit_code, 0) << short_name << ": " << listed.err;
    }
  }
}

TEST_F(CrdsOnKubeLite, KeepsEveryUpstreamSampleRequestVerbatim) {
  std::vector<std::filesystem::path> samples;
  for (const auto& entry :
       std::filesystem::directory_iterator(sourcePath("tests/fixtures/upstream-examples"))) {
    if (entry.path().extension() == ".json") {
      samples.push_back(entry.path());
    }
  }
  std::sort(samples.begin(), samples.end());
  ASSERT_GE(samples.size(), 21U);
  for (const auto& sample_path : samples) {
    const std::string file = sample_path.filename().string();
    const ProcessResult applied = server_.kubectl({"apply", "-f", sample_path.string()});
    ASSERT_EQ(applied.exit_code, 0) << file << ": " << applied.out << applied.err;
    const json sample = json::parse(readWholeFile(sample_path.string()));
    const auto& kinds = crdgen::contractKinds();
    const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const crdgen::KindInfo& info) {
      return info.kind == sample["kind"];
    });
    ASSERT_NE(kind, kinds.end()) << file;
    const json stored =
        getJson(kind->plural + ".doslab.io", sample["metadata"]["name"].get<std::string>());
    // The whole spec, so "memory": "1024" stays a string and "noautoconsole": true a boolean.
    EXPECT_EQ(stored["spec"], sample["spec"]) << file;
  }
}

TEST_F(CrdsOnKubeLite, KeepsUnknownOperationsAndParametersForVirtctlToRefuse) {
  const json request = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata", {{"name", "unknown-param"}, {"labels", {{"host", "node1"}}}}},
      {"spec",
       {{"nodeName", "node1"},
        {"lifecycle",
         {{"startVM", {{"bogus", "x"}, {"paused", "True"}, {"nested", {{"a", 1}}}}}}}}}};
  const ProcessResult applied = applyJson(request);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(getJson("vm", "unknown-param")["spec"]["lifecycle"], request["spec"]["lifecycle"]);

  json unknown_operation = request;
  unknown_operation["metadata"]["name"] = "unknown-op";
  unknown_operation["spec"]["lifecycle"] = {{"fooVM", {{"a", 1}}}, {"startvm", nullptr}};
  // create, not apply: client-side apply reads a null as "remove this field".
  const ProcessResult second = server_.kubectl({"create", "-f", "-"}, {}, unknown_operation.dump());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(getJson("vm", "unknown-op")["spec"]["lifecycle"],
            unknown_operation["spec"]["lifecycle"]);
}

TEST_F(CrdsOnKubeLite, RefusesAnIntegerParameterOfTheWrongShape) {
  lifecycle::OperationTable table;
  crdgen::addAllOperations(table);
  for (const lifecycle::OperationSpec* operation : table.operationsOf("VirtualMachine")) {
    for (const lifecycle::ParamSpec& param : operation->params) {
      if (param.type != lifecycle::ParamType::Integer || param.name == operation->name_field) {
        continue;
      }
      json request = json::parse(readWholeFile(upstreamExample("VM-CreateVMFromISO.json")));
      request["spec"]["lifecycle"] = {{operation->key, {{param.name, true}}}};
      const ProcessResult applied = applyJson(request);
      EXPECT_NE(applied.exit_code, 0) << applied.out;
      EXPECT_NE(applied.err.find(operation->key + "." + param.name), std::string::npos)
          << applied.err;
      EXPECT_NE(applied.err.find("int-or-string"), std::string::npos) << applied.err;
      return;
    }
  }
  GTEST_SKIP() << "this build's operation table has no VirtualMachine integer parameter";
}

// The typed lifecycle of a table with every parameter type (the unit tests' table), through
// the real kubectl: shapes the schema can check are refused by the API server, everything
// else reaches virtctl unchanged.
TEST_F(CrdsOnKubeLite, TypedLifecycleKeepsWhatVirtctlMustJudge) {
  const lifecycle::OperationTable table = lifecycle::testing::makeTestTable();
  const crdgen::KindInfo& vm_kind = crdgen::contractKinds().front();
  ASSERT_EQ(vm_kind.kind, "VirtualMachine");
  const ProcessResult replaced =
      server_.kubectl({"apply", "-f", "-"}, {}, crdgen::toYaml(crdgen::buildCrd(vm_kind, table)));
  ASSERT_EQ(replaced.exit_code, 0) << replaced.out << replaced.err;
  const ProcessResult established = server_.kubectl(
      {"wait", "--for=condition=Established", "crd/virtualmachines.doslab.io", "--timeout=30s"});
  ASSERT_EQ(established.exit_code, 0) << established.err;

  json request = json::parse(readWholeFile(upstreamExample("VM-CreateVMFromISO.json")));
  request["spec"]["lifecycle"]["createAndStartVMFromISO"]["noautoconsole"] = "True";
  request["spec"]["lifecycle"]["createAndStartVMFromISO"]["bogus"] = {{"nested", 1}};
  request["spec"]["lifecycle"]["createAndStartVMFromISO"]["name"] = 42;
  request["spec"]["lifecycle"]["createAndStartVMFromISO"]["vcpus"] = 0;
  ProcessResult applied = applyJson(request);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(getJson("vm", "test")["spec"]["lifecycle"], request["spec"]["lifecycle"]);

  json null_body = request;
  null_body["metadata"]["name"] = "null-body";
  null_body["spec"]["lifecycle"] = {{"startVM", nullptr}};
  applied = server_.kubectl({"create", "-f", "-"}, {}, null_body.dump());
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(getJson("vm", "null-body")["spec"]["lifecycle"], null_body["spec"]["lifecycle"]);

  for (const auto& [param, value] :
       std::vector<std::pair<std::string, json>>{{"memory", true}, {"cdrom", 5}}) {
    json wrong = request;
    wrong["metadata"]["name"] = "wrong-" + param;
    wrong["spec"]["lifecycle"]["createAndStartVMFromISO"][param] = value;
    applied = applyJson(wrong);
    EXPECT_NE(applied.exit_code, 0) << param << ": " << applied.out;
    EXPECT_NE(applied.err.find("spec.lifecycle.createAndStartVMFromISO." + param),
              std::string::npos)
        << applied.err;
  }
}

TEST_F(CrdsOnKubeLite, ShowsUpstreamColumnsAndPhaseInWideOutput) {
  json vm = json::parse(readWholeFile(upstreamExample("VM-CreateVMFromISO.json")));
  vm["spec"].erase("lifecycle");
  vm["spec"]["powerstate"] = "Running";
  vm["spec"]["domain"] = {{"_type", "kvm"},
                          {"uuid", {{"text", "b6c1a7e2-0000-4000-8000-000000000001"}}},
                          {"vcpu", {{"_placement", "static"}, {"text", 2}}},
                          {"currentMemory", {{"_unit", "KiB"}, {"text", 1048576}}}};
  vm["spec"]["status"] = {
      {"conditions",
       {{"state", {{"waiting", {{"reason", "Running"}, {"message", "The VM is Running"}}}}}}}};
  vm["status"] = {{"phase", "Running"}, {"nodeName", "vm.node31"}};
  const ProcessResult applied = applyJson(vm);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

  const ProcessResult wide = server_.kubectl({"get", "vm", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_TRUE(std::regex_search(
      wide.out, std::regex(R"(^NAME\s+UUID\s+TYPE\s+CPU\s+RAM\(KB\)\s+STATUS\s+AGE\s+NODE\s+)"
                           R"(MESSAGE\s+IMAGE\s+PHASE\s*\n)")))
      << wide.out;
  EXPECT_TRUE(std::regex_search(
      wide.out, std::regex(R"(\ntest\s+b6c1a7e2-0000-4000-8000-000000000001\s+kvm\s+2\s+1048576\s+)"
                           R"(Running\s+\d+s\s+vm\.node31\s+Running\s+Running\s*\n)")))
      << wide.out;
  // PHASE has priority 1: the default columns stay exactly upstream's.
  const ProcessResult plain = server_.kubectl({"get", "vm"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(std::regex_search(
      plain.out, std::regex(R"(^NAME\s+UUID\s+TYPE\s+CPU\s+RAM\(KB\)\s+STATUS\s+AGE\s+NODE\s+)"
                            R"(MESSAGE\s+IMAGE\s*\n)")))
      << plain.out;

  vm["status"]["phase"] = "Rebooting";
  const ProcessResult bad_phase = applyJson(vm);
  EXPECT_NE(bad_phase.exit_code, 0) << bad_phase.out;
  EXPECT_NE(bad_phase.err.find("status.phase"), std::string::npos) << bad_phase.err;
}

TEST_F(CrdsOnKubeLite, ExplainsTheLifecycleFromTheTable) {
  const ProcessResult explained = server_.kubectl({"explain", "virtualmachines.spec.lifecycle"});
  ASSERT_EQ(explained.exit_code, 0) << explained.out << explained.err;
  EXPECT_NE(explained.out.find("exactly one VirtualMachine operation"), std::string::npos)
      << explained.out;
}

}  // namespace
}  // namespace univirt::testing
