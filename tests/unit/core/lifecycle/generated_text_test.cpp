// What is generated from the operation table: --help text, the CRD schema of spec.lifecycle,
// and the Markdown reference.

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/lifecycle/operation_table.h"
#include "unit/core/lifecycle/test_table.h"

namespace univirt::lifecycle {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::makeTestTable;
using ::testing::Not;

// Kubernetes' structural-schema rules (CRD docs, "Specifying a structural schema"): every
// property and array item has a type, unless it is int-or-string or preserves unknown fields;
// no type inside anyOf except the exact int-or-string pattern.
void collectStructuralViolations(const json& node, const std::string& path,
                                 std::vector<std::string>& out) {
  const bool int_or_string = node.value("x-kubernetes-int-or-string", false);
  const bool preserves = node.value("x-kubernetes-preserve-unknown-fields", false);
  if (!node.contains("type") && !int_or_string && !preserves) {
    out.push_back(path + ": no type");
  }
  if (int_or_string && node.contains("type")) {
    out.push_back(path + ": int-or-string with a type");
  }
  if (node.contains("anyOf")) {
    const json pattern = json::array({{{"type", "integer"}}, {{"type", "string"}}});
    if (!int_or_string || node["anyOf"] != pattern) {
      out.push_back(path + ": anyOf other than the int-or-string pattern");
    }
  }
  if (node.contains("properties")) {
    for (const auto& [key, child] : node["properties"].items()) {
      collectStructuralViolations(child, fmt::format("{}.properties[{}]", path, key), out);
    }
  }
  if (node.contains("items")) {
    collectStructuralViolations(node["items"], path + ".items", out);
  }
}

TEST(LifecycleSchema, IsStructuralAndKeepsUnknownOperationsAndParameters) {
  const OperationTable table = makeTestTable();
  for (const std::string& kind : table.kinds()) {
    const json schema = lifecycleSchema(table, kind);
    std::vector<std::string> violations;
    collectStructuralViolations(schema, "lifecycle", violations);
    EXPECT_THAT(violations, IsEmpty()) << kind;
    EXPECT_EQ(schema["type"], "object");
    EXPECT_EQ(schema["x-kubernetes-preserve-unknown-fields"], true);
    for (const OperationSpec* operation : table.operationsOf(kind)) {
      const json& op = schema["properties"][operation->key];
      EXPECT_EQ(op["type"], "object") << operation->key;
      EXPECT_EQ(op["nullable"], true) << operation->key;
      EXPECT_EQ(op["x-kubernetes-preserve-unknown-fields"], true) << operation->key;
      EXPECT_THAT(op["description"].get<std::string>(), HasSubstr(operation->summary));
    }
  }
}

TEST(LifecycleSchema, TypesEachParameterAsFarAsStructuralSchemasAllow) {
  const OperationTable table = makeTestTable();
  const json params = lifecycleSchema(
      table, "VirtualMachine")["properties"]["createAndStartVMFromISO"]["properties"];
  // Integer: upstream sends "1024"; int-or-string admits both and virtctl checks the digits.
  EXPECT_EQ(params["memory"]["x-kubernetes-int-or-string"], true);
  EXPECT_FALSE(params["memory"].contains("type"));
  EXPECT_THAT(params["memory"]["description"].get<std::string>(),
              HasSubstr("integer 16..1048576, required."));
  EXPECT_EQ(params["cdrom"]["type"], "string");
  // Boolean and String accept more than one JSON type, which only an untyped node can express.
  for (const char* name : {"noautoconsole", "network", "pxe", "name"}) {
    EXPECT_FALSE(params[name].contains("type")) << name;
    EXPECT_EQ(params[name]["x-kubernetes-preserve-unknown-fields"], true) << name;
    EXPECT_EQ(params[name]["nullable"], true) << name;
  }
  EXPECT_THAT(params["noautoconsole"]["description"].get<std::string>(),
              HasSubstr("boolean. Value: true or false, or the string \"true\" or \"false\""));
  EXPECT_THAT(params["virt_type"]["description"].get<std::string>(),
              HasSubstr("string, one of: kvm, qemu."));
  EXPECT_THAT(params["name"]["description"].get<std::string>(),
              HasSubstr("Set by univirt to the object's name"));
  EXPECT_THAT(params["pxe"]["description"].get<std::string>(), HasSubstr("not supported"));
  // Value checks stay with virtctl, so the API server never refuses what virtctl accepts.
  const std::string dumped = lifecycleSchema(table, "VirtualMachine").dump();
  for (const char* keyword : {"\"required\"", "\"enum\"", "\"minimum\"", "\"maximum\""}) {
    EXPECT_THAT(dumped, Not(HasSubstr(keyword)));
  }
}

TEST(LifecycleSchema, KeepsAnyOperationForAKindWithoutOperations) {
  const json schema = lifecycleSchema(makeTestTable(), "VirtualMachineGPU");
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["x-kubernetes-preserve-unknown-fields"], true);
  EXPECT_FALSE(schema.contains("properties"));
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(RenderHelp, ListsEveryOperationAndParameterWithinOneHundredColumns) {
  const OperationTable table = makeTestTable();
  const std::string help = renderHelp(table);
  for (const std::string& line : linesOf(help)) {
    EXPECT_LE(line.size(), 100U) << line;
    EXPECT_EQ(line.find_last_not_of(' ') + 1, line.size()) << "trailing space: " << line;
  }
  for (const OperationSpec& operation : table.all()) {
    EXPECT_THAT(help, HasSubstr("\n  " + operation.key + "\n")) << operation.key;
    for (const ParamSpec& param : operation.params) {
      EXPECT_THAT(help, HasSubstr(param.name)) << operation.key << "." << param.name;
    }
  }
  EXPECT_THAT(help, HasSubstr("VirtualMachine (3 operations)"));
  EXPECT_THAT(help,
              HasSubstr("memory         integer 16..1048576, required  memory of the domain"));
  EXPECT_THAT(help, HasSubstr("mode  string, one of: acpi, agent, initctl, signal, paravirt"));
  EXPECT_THAT(help, HasSubstr("The object's name is passed as 'domain'."));
  EXPECT_THAT(help, HasSubstr("Refused as not supported: pass-fds."));
  EXPECT_THAT(help, HasSubstr("  createDisk\n      Create a disk volume in a pool. The object's "
                              "name is passed as 'vol'. The object is not\n      refreshed "
                              "afterwards.\n"));
  EXPECT_THAT(help, HasSubstr("VirtualMachineDisk (1 operation)\n"));
  EXPECT_THAT(help, HasSubstr("type        string, required, one of: localfs, dir"));
}

TEST(RenderHelp, WrapsLongHelpUnderItsColumn) {
  const std::string help = renderHelp(makeTestTable());
  const auto lines = linesOf(help);
  const auto first = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("os_variant") != std::string::npos;
  });
  ASSERT_NE(first, lines.end());
  const std::size_t column = first->find("libosinfo");
  ASSERT_NE(column, std::string::npos);
  ASSERT_NE(first + 1, lines.end());
  const std::string& next = *(first + 1);
  EXPECT_EQ(next.find_first_not_of(' '), column) << *first << "\n" << next;
}

TEST(RenderMarkdown, DocumentsEveryOperationWithAParameterTable) {
  const OperationTable table = makeTestTable();
  const std::string markdown = renderMarkdown(table);
  for (const std::string& kind : table.kinds()) {
    EXPECT_THAT(markdown, HasSubstr("\n## " + kind + "\n"));
  }
  for (const OperationSpec& operation : table.all()) {
    EXPECT_THAT(markdown, HasSubstr("\n### " + operation.key + "\n"));
  }
  EXPECT_THAT(markdown, HasSubstr("| `paused` | boolean |  | leave the domain paused after "
                                  "starting it |\n"));
  EXPECT_THAT(markdown, HasSubstr("| `memory` | integer 16..1048576 | yes |"));
  EXPECT_THAT(markdown, HasSubstr("path,format=qcow2\\|raw |"));
  EXPECT_THAT(markdown, HasSubstr("source=&lt;bridge>[,mac=..]"));
  EXPECT_THAT(markdown, HasSubstr("Refused as not supported by univirt: `pass-fds`."));
  EXPECT_THAT(markdown, HasSubstr("| VirtualMachine | startVM, createAndStartVMFromISO, stopVM |"));
  EXPECT_THAT(markdown, HasSubstr("The object's name is passed as `vol`"));
  // The name field is not listed as something to set.
  EXPECT_THAT(markdown, Not(HasSubstr("| `domain` |")));
}

}  // namespace
}  // namespace univirt::lifecycle
