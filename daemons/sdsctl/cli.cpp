#include "sdsctl/cli.h"

#include <map>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "core/version.h"
#include "core/virt/connection.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl {
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

struct GlobalOptions {
  std::string libvirt_uri = "qemu:///system";
  bool json = false;
  std::vector<std::string> path_roots;
  std::string qemu_img = "/usr/bin/qemu-img";
  std::vector<std::string> mount_fs_types;
  RbdSettings rbd;
};

void addCommand(CLI::App& app, const lifecycle::OperationSpec& operation, Command& command) {
  const std::string upstream = upstreamCommand(operation.key);
  const std::string name = upstream.empty() ? operation.key : upstream;
  command.operation = &operation;
  command.app = app.add_subcommand(name, operation.summary);
  if (!upstream.empty()) {
    command.app->alias(operation.key);
  }
  command.app->group(operation.kind);
  for (const auto& param : operation.params) {
    const std::string flag = "--" + param.name;
    std::string help = param.help;
    if (!param.allowed.empty()) {
      help += fmt::format(" (one of: {})", fmt::join(param.allowed, ", "));
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

void printResult(std::ostream& out, const GlobalOptions& global, const Command& command,
                 const std::string& name, const util::Result<lifecycle::Outcome>& outcome) {
  if (global.json) {
    nlohmann::json result = {{"operation", command.operation->key},
                             {"kind", command.operation->kind},
                             {"name", name},
                             {"ok", outcome.has_value()}};
    if (outcome) {
      result["deleted"] = outcome->object_deleted;
      result["spec"] =
          outcome->spec_fields.is_null() ? nlohmann::json::object() : outcome->spec_fields;
    } else {
      result["error"] = {{"code", std::string(util::errorCodeName(outcome.error().code))},
                         {"message", outcome.error().message}};
    }
    out << result.dump(2) << "\n";
    return;
  }
  if (!outcome) {
    out << fmt::format("{} {}: failed: {}\n", command.operation->key, name,
                       outcome.error().message);
    return;
  }
  out << fmt::format("{} {}: done{}\n", command.operation->key, name,
                     outcome->object_deleted ? " (removed)" : "");
  if (outcome->spec_fields.is_object()) {
    for (const auto& [field, value] : outcome->spec_fields.items()) {
      if (!value.is_object()) {
        continue;
      }
      for (const auto& [key, item] : value.items()) {
        out << fmt::format("  {}.{} = {}\n", field, key,
                           item.is_string() ? item.get<std::string>() : item.dump());
      }
    }
  }
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  GlobalOptions global;
  StorageOperationDeps deps;
  lifecycle::OperationTable table;
  addStorageOperations(table, deps);

  CLI::App app{
      "univirt-sdsctl: storage pools, disks, disk images and disk snapshots of this node, as "
      "virtctl runs them for VirtualMachinePool/Disk/DiskImage/DiskSnapshot requests.\n"
      "Every sub-command is an operation; `univirt-sdsctl <command> --help` lists its "
      "parameters. Exit status: 0 done, 1 failed, 2 usage error.",
      "univirt-sdsctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("sdsctl {} (commit {})", kVersion, kGitCommit));
  app.add_option("--libvirt-uri", global.libvirt_uri, "libvirt connection")->capture_default_str();
  app.add_flag("--json", global.json, "print the outcome as one JSON object");
  app.add_option("--path-root", global.path_roots,
                 "directory outside the pools that image sources may come from (repeatable)");
  app.add_option("--qemu-img", global.qemu_img, "qemu-img program (absolute path)")
      ->capture_default_str();
  app.add_option("--mount-fs-type", global.mount_fs_types,
                 "TYPE=FSTYPE: also accept file system FSTYPE for cephfs or nfs pools, e.g. "
                 "nfs=tmpfs for a stand-in mount (repeatable)");
  app.add_option("--ceph-conf", global.rbd.conf, "ceph.conf of the cluster of cephrbd pools")
      ->capture_default_str();
  app.add_option("--ceph-id", global.rbd.client_id, "Ceph client name (client.<id>)")
      ->capture_default_str();
  app.add_option("--ceph-keyring", global.rbd.keyring,
                 "keyring of client.<id> (default: what ceph.conf says)");

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

  for (const auto& pair : global.mount_fs_types) {
    const auto eq = pair.find('=');
    auto type = parsePoolType(eq == std::string::npos ? "" : pair.substr(0, eq));
    if (eq == std::string::npos || !type || !isMountedType(*type)) {
      err << fmt::format(
          "univirt-sdsctl: --mount-fs-type '{}' must be cephfs=FSTYPE or "
          "nfs=FSTYPE\n",
          pair);
      return kExitUsage;
    }
    deps.settings.file.mount_fs_types[*type].push_back(pair.substr(eq + 1));
  }
  deps.settings.file.qemu_img = global.qemu_img;
  global.rbd.qemu_img = global.qemu_img;
  deps.settings.rbd = global.rbd;
  deps.settings.path_roots = global.path_roots;
  std::shared_ptr<virt::Connection> connection;
  deps.connect = [&]() -> util::Result<std::shared_ptr<virt::Connection>> {
    if (!connection) {
      auto opened = virt::Connection::open(global.libvirt_uri);
      if (!opened) {
        return opened.error();
      }
      connection = std::make_shared<virt::Connection>(std::move(*opened));
    }
    return connection;
  };

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
                                  lifecycle::ValidationContext{.path_roots = global.path_roots});
    if (!request) {
      err << "univirt-sdsctl: " << request.error().message << "\n";
      return kExitUsage;
    }
    lifecycle::Invocation invocation{
        .operation = &operation,
        .object = {{"metadata", {{"name", name}, {"namespace", "default"}}},
                   {"spec", nlohmann::json::object()}},
        .namespace_name = "default",
        .name = name,
        .params = std::move(request->params),
        .request_id = "univirt-sdsctl"};
    auto outcome = operation.handler(invocation);
    printResult(out, global, *command, name, outcome);
    if (!outcome && !global.json) {
      err << "univirt-sdsctl: " << outcome.error().message << "\n";
    }
    return outcome ? 0 : kExitFailure;
  }
  return kExitUsage;
}

}  // namespace univirt::sdsctl
