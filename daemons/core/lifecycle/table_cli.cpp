#include "core/lifecycle/table_cli.h"

#include <map>
#include <ostream>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle {
namespace {

// One row's sub-command and the variables CLI11 parses its options into.
struct Command {
  const OperationSpec* operation = nullptr;
  CLI::App* app = nullptr;
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> options;
};

TableCliCommand defaultCommand(const OperationSpec& operation) {
  return {.name = operation.key, .summary = operation.summary};
}

std::string paramHelp(const ParamSpec& param) {
  std::string help = param.help;
  if (!param.allowed.empty()) {
    help += fmt::format(" (one of: {})", fmt::join(param.allowed, ", "));
  }
  if (param.min && param.max) {
    help += fmt::format(" ({}-{})", *param.min, *param.max);
  }
  return help;
}

void addCommand(CLI::App& app, const TableCliCommand& names, const OperationSpec& operation,
                Command& command) {
  command.operation = &operation;
  command.app = app.add_subcommand(names.name, names.summary);
  if (!names.alias.empty()) {
    command.app->alias(names.alias);
  }
  if (!names.group.empty()) {
    command.app->group(names.group);
  }
  for (const auto& param : operation.params) {
    const std::string flag = "--" + param.name;
    CLI::Option* option = nullptr;
    if (param.type == ParamType::Boolean) {
      option = command.app->add_flag(flag, command.flags[param.name], paramHelp(param));
    } else {
      option = command.app->add_option(flag, command.values[param.name], paramHelp(param));
    }
    if (param.required || param.name == operation.name_field) {
      option->required();
    }
    command.options[param.name] = option;
  }
}

// The object's name (the name field's option) and the other options given, as a request's
// parameters: strings, which validation converts to the types the table declares.
std::pair<std::string, nlohmann::json> requestOf(Command& command) {
  const auto& operation = *command.operation;
  std::string name;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& param : operation.params) {
    if (command.options[param.name]->count() == 0) {
      continue;
    }
    if (param.name == operation.name_field) {
      name = command.values[param.name];
    } else if (param.type == ParamType::Boolean) {
      params[param.name] = command.flags[param.name];
    } else {
      params[param.name] = command.values[param.name];
    }
  }
  return {std::move(name), std::move(params)};
}

void printJson(std::ostream& out, const OperationSpec& operation, const std::string& name,
               const util::Result<Outcome>& outcome, const TableCliShown& shown) {
  nlohmann::json result = {{"operation", operation.key},
                           {"kind", operation.kind},
                           {"name", name},
                           {"ok", outcome.has_value()}};
  if (outcome) {
    result["deleted"] = outcome->object_deleted;
    result.update(shown.json);
  } else {
    result["error"] = {{"code", std::string(util::errorCodeName(outcome.error().code))},
                       {"message", outcome.error().message}};
  }
  out << result.dump(2) << "\n";
}

void printText(std::ostream& out, const OperationSpec& operation, const std::string& name,
               const util::Result<Outcome>& outcome, const TableCliShown& shown) {
  if (!outcome) {
    out << fmt::format("{} {}: failed: {}\n", operation.key, name, outcome.error().message);
    return;
  }
  out << fmt::format("{} {}: done{}{}\n", operation.key, name,
                     outcome->object_deleted ? " (removed)" : "", shown.note);
  out << shown.detail;
}

}  // namespace

TableCli::TableCli(const std::string& description, TableCliHooks hooks)
    : hooks_(std::move(hooks)), app_(std::make_unique<CLI::App>(description, hooks_.tool)) {
  app_->require_subcommand(1);
}

TableCli::~TableCli() = default;

CLI::App& TableCli::app() { return *app_; }

void TableCli::addJsonFlag() {
  app_->add_flag("--json", json_, "print the outcome as one JSON object");
}

int TableCli::run(const OperationTable& table, int argc, const char* const* argv, std::ostream& out,
                  std::ostream& err) {
  std::vector<std::unique_ptr<Command>> commands;
  for (const auto& operation : table.all()) {
    commands.push_back(std::make_unique<Command>());
    addCommand(*app_, hooks_.command ? hooks_.command(operation) : defaultCommand(operation),
               operation, *commands.back());
  }
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app_->exit(error, out, err);
    return code == 0 ? kCliExitDone : kCliExitUsage;
  }

  util::Result<ValidationContext> context = ValidationContext{};
  if (hooks_.prepare) {
    context = hooks_.prepare();
  }
  if (!context) {
    err << hooks_.tool << ": " << context.error().message << "\n";
    return kCliExitUsage;
  }

  for (auto& command : commands) {
    if (!command->app->parsed()) {
      continue;
    }
    const auto& operation = *command->operation;
    auto [name, params] = requestOf(*command);
    auto request = table.validate(operation.kind, name, {{operation.key, params}}, *context);
    if (!request) {
      err << hooks_.tool << ": " << request.error().message << "\n";
      return kCliExitUsage;
    }
    Invocation invocation{.operation = &operation,
                          .object = {{"metadata", {{"name", name}, {"namespace", "default"}}},
                                     {"spec", nlohmann::json::object()}},
                          .namespace_name = "default",
                          .name = name,
                          .params = std::move(request->params),
                          .request_id = hooks_.tool};
    auto outcome = operation.handler(invocation);
    TableCliShown shown;
    if (outcome && hooks_.show) {
      shown = hooks_.show(invocation, *outcome);
    }
    if (json_) {
      printJson(out, operation, name, outcome, shown);
      return outcome ? kCliExitDone : kCliExitFailure;
    }
    printText(out, operation, name, outcome, shown);
    if (!outcome) {
      err << hooks_.tool << ": " << outcome.error().message << "\n";
      return kCliExitFailure;
    }
    return kCliExitDone;
  }
  return kCliExitUsage;
}

}  // namespace univirt::lifecycle
