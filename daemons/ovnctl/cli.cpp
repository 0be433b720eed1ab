#include "ovnctl/cli.h"

#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "core/lifecycle/table_cli.h"
#include "ovnctl/network_operations.h"

namespace univirt::ovnctl {
namespace {

// The lifecycle key is the sub-command; kubeovn-adm's name for it is an alias.
lifecycle::TableCliCommand commandOf(const lifecycle::OperationSpec& operation) {
  const std::string upstream = upstreamCommand(operation.key);
  lifecycle::TableCliCommand command{.name = operation.key, .summary = operation.summary};
  if (!upstream.empty()) {
    command.alias = upstream;
    command.summary += fmt::format(" (kubeovn-adm {})", upstream);
  }
  return command;
}

// The handler's message, and what the refresh would write to .spec.data / .spec.type.
lifecycle::TableCliShown showRefreshed(const lifecycle::Invocation& invocation,
                                       const lifecycle::Outcome& outcome) {
  lifecycle::TableCliShown shown;
  shown.json["message"] = outcome.message;
  shown.json["spec"] = nlohmann::json::object();
  shown.note = outcome.message.empty() ? "" : ": " + outcome.message;
  const auto& operation = *invocation.operation;
  if (outcome.object_deleted || !operation.refresh) {
    return shown;
  }
  auto refreshed = operation.refresh(invocation);
  if (!refreshed) {
    shown.json["refreshError"] = refreshed.error().message;
    shown.detail = "reading the result back failed: " + refreshed.error().message + "\n";
    return shown;
  }
  shown.json["spec"] = refreshed->spec_fields;
  shown.detail = refreshed->spec_fields.dump(2) + "\n";
  return shown;
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  NetworkOperationDeps deps;
  lifecycle::OperationTable table;
  addNetworkOperations(table, deps);

  lifecycle::TableCli cli(
      "univirt-ovnctl: the VirtualMachineNetwork operations (OVN logical switches, address sets, "
      "floating IPs, ACLs, QoS; OVS bridges and VLANs) as virtctl runs them, over OVSDB.\n"
      "Every sub-command is an operation key (kubeovn-adm's sub-command is an alias); "
      "`univirt-ovnctl <key> --help` lists its parameters. Exit status: 0 done, 1 failed, 2 "
      "usage error.",
      {.tool = "univirt-ovnctl", .command = commandOf, .show = showRefreshed});
  CLI::App& app = cli.app();
  app.add_option("--ovn-nb", deps.northbound, "OVN northbound database: unix:PATH or tcp:HOST:PORT")
      ->envname("UNIVIRT_OVN_NB")
      ->capture_default_str();
  app.add_option("--ovs-db", deps.ovs_db, "Open_vSwitch database (empty: none)")
      ->envname("UNIVIRT_OVS_DB")
      ->capture_default_str();
  app.add_option("--node-name", deps.node_name, "node name for localnet ports and .spec.nodeName");
  cli.addJsonFlag();
  return cli.run(table, argc, argv, out, err);
}

}  // namespace univirt::ovnctl
