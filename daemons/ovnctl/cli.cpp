#include "ovnctl/cli.h"

#include <map>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "ovnctl/network_operations.h"

namespace univirt::ovnctl {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Command {
  const lifecycle::OperationSpec* operation = nullptr;
  CLI::App* app = nullptr;
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> options;
};

void addCommand(CLI::App& app, const lifecycle::OperationSpec& operation, Command& command) {
  const std::string upstream = upstreamCommand(operation.key);
  std::string summary = operation.summary;
  if (!upstream.empty()) {
    summary += fmt::format(" (kubeovn-adm {})", upstream);
  }
  command.operation = &operation;
  command.app = app.add_subcommand(operation.key, summary);
  if (!upstream.empty()) {
    command.app->alias(upstream);
  }
  for (const auto& param : operation.params) {
    const std::string flag = "--" + param.name;
    std::string help = param.help;
    if (!param.allowed.empty()) {
      help += fmt::format(" (one of: {})", fmt::join(param.allowed, ", "));
    }
    if (param.min && param.max) {
      help += fmt::format(" ({}-{})", *param.min, *param.max);
    }
    CLI::Option* option = nullptr;
    if (param.type == lifecycle::ParamType::Boolean) {
      option = command.app->add_flag(flag, command.flags[param.name], help);
    } else {
      option = command.app->add_option(flag, command.values[param.name], help);
    }
    if (param.required || param.name == operation.name_field) {
      option->required();
    }
    command.options[param.name] = option;
  }
}

void printResult(std::ostream& out, bool json, const lifecycle::OperationSpec& operation,
                 const std::string& name, const util::Result<lifecycle::Outcome>& outcome,
                 const util::Result<lifecycle::Refreshed>* refreshed) {
  if (json) {
    nlohmann::json result = {{"operation", operation.key},
                             {"kind", operation.kind},
                             {"name", name},
                             {"ok", outcome.has_value()}};
    if (outcome) {
      result["deleted"] = outcome->object_deleted;
      result["message"] = outcome->message;
      result["spec"] = nlohmann::json::object();
      if (refreshed != nullptr && refreshed->has_value()) {
        result["spec"] = (*refreshed)->spec_fields;
      } else if (refreshed != nullptr) {
        result["refreshError"] = refreshed->error().message;
      }
    } else {
      result["error"] = {{"code", std::string(util::errorCodeName(outcome.error().code))},
                         {"message", outcome.error().message}};
    }
    out << result.dump(2) << "\n";
    return;
  }
  if (!outcome) {
    out << fmt::format("{} {}: failed: {}\n", operation.key, name, outcome.error().message);
    return;
  }
  out << fmt::format("{} {}: done{}{}\n", operation.key, name,
                     outcome->object_deleted ? " (removed)" : "",
                     outcome->message.empty() ? "" : ": " + outcome->message);
  if (refreshed != nullptr && refreshed->has_value()) {
    out << (*refreshed)->spec_fields.dump(2) << "\n";
  } else if (refreshed != nullptr) {
    out << "reading the result back failed: " << refreshed->error().message << "\n";
  }
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  NetworkOperationDeps deps;
  bool json = false;
  lifecycle::OperationTable table;
  addNetworkOperations(table, deps);

  CLI::App app{
      "univirt-ovnctl: the VirtualMachineNetwork operations (OVN logical switches, address sets, "
      "floating IPs, ACLs, QoS; OVS bridges and VLANs) as virtctl runs them, over OVSDB.\n"
      "Every sub-command is an operation key (kubeovn-adm's sub-command is an alias); "
      "`univirt-ovnctl <key> --help` lists its parameters. Exit status: 0 done, 1 failed, 2 "
      "usage error.",
      "univirt-ovnctl"};
  app.require_subcommand(1);
  app.add_option("--ovn-nb", deps.northbound, "OVN northbound database: unix:PATH or tcp:HOST:PORT")
      ->envname("UNIVIRT_OVN_NB")
      ->capture_default_str();
  app.add_option("--ovs-db", deps.ovs_db, "Open_vSwitch database (empty: none)")
      ->envname("UNIVIRT_OVS_DB")
      ->capture_default_str();
  app.add_option("--node-name", deps.node_name, "node name for localnet ports and .spec.nodeName");
  app.add_flag("--json", json, "print the outcome as one JSON object");

  std::vector<std::unique_ptr<Command>> commands;
  for (const auto& operation : table.all()) {
    commands.push_back(std::make_unique<Command>());
    addCommand(app, operation, *commands.back());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, out, err);
    return code == 0 ? 0 : kExitUsage;
  }

  for (auto& command : commands) {
    if (!command->app->parsed()) {
      continue;
    }
    const auto& operation = *command->operation;
    std::string name;
    nlohmann::json params = nlohmann::json::object();
    for (const auto& param : operation.params) {
      if (command->options[param.name]->count() == 0) {
        continue;
      }
      if (param.name == operation.name_field) {
        name = command->values[param.name];
      } else if (param.type == lifecycle::ParamType::Boolean) {
        params[param.name] = command->flags[param.name];
      } else {
        params[param.name] = command->values[param.name];
      }
    }
    auto request = table.validate(operation.kind, name, {{operation.key, params}},
                                  lifecycle::ValidationContext{});
    if (!request) {
      err << "univirt-ovnctl: " << request.error().message << "\n";
      return kExitUsage;
    }
    lifecycle::Invocation invocation{
        .operation = &operation,
        .object = {{"metadata", {{"name", name}, {"namespace", "default"}}},
                   {"spec", nlohmann::json::object()}},
        .namespace_name = "default",
        .name = name,
        .params = std::move(request->params),
        .request_id = "univirt-ovnctl"};
    auto outcome = operation.handler(invocation);
    std::optional<util::Result<lifecycle::Refreshed>> refreshed;
    if (outcome && !outcome->object_deleted && operation.refresh) {
      refreshed.emplace(operation.refresh(invocation));
    }
    printResult(out, json, operation, name, outcome, refreshed ? &*refreshed : nullptr);
    if (!outcome && !json) {
      err << "univirt-ovnctl: " << outcome.error().message << "\n";
    }
    return outcome ? 0 : kExitFailure;
  }
  return kExitUsage;
}

}  // namespace univirt::ovnctl
