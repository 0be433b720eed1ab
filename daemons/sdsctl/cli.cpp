#include "sdsctl/cli.h"

#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "core/lifecycle/table_cli.h"
#include "core/version.h"
#include "core/virt/connection.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl {
namespace {

struct GlobalOptions {
  std::string libvirt_uri = "qemu:///system";
  std::vector<std::string> path_roots;
  std::string qemu_img = "/usr/bin/qemu-img";
  std::vector<std::string> mount_fs_types;
  RbdSettings rbd;
};

// Upstream sdsctl's name (create-disk) is the sub-command, the lifecycle key an alias; --help
// groups the sub-commands by kind.
lifecycle::TableCliCommand commandOf(const lifecycle::OperationSpec& operation) {
  const std::string upstream = upstreamCommand(operation.key);
  if (upstream.empty()) {
    return {.name = operation.key, .summary = operation.summary, .group = operation.kind};
  }
  return {.name = upstream,
          .alias = operation.key,
          .summary = operation.summary,
          .group = operation.kind};
}

// The .spec fields a storage handler sets, one "  field.key = value" line each.
lifecycle::TableCliShown showSpecFields(const lifecycle::Invocation& /*invocation*/,
                                        const lifecycle::Outcome& outcome) {
  lifecycle::TableCliShown shown;
  shown.json["spec"] =
      outcome.spec_fields.is_null() ? nlohmann::json::object() : outcome.spec_fields;
  if (!outcome.spec_fields.is_object()) {
    return shown;
  }
  for (const auto& [field, value] : outcome.spec_fields.items()) {
    if (!value.is_object()) {
      continue;
    }
    for (const auto& [key, item] : value.items()) {
      shown.detail += fmt::format("  {}.{} = {}\n", field, key,
                                  item.is_string() ? item.get<std::string>() : item.dump());
    }
  }
  return shown;
}

// Turns the global options into the handlers' settings; the libvirt connection opens on first
// use and is kept for the run.
util::Result<lifecycle::ValidationContext> prepareDeps(
    GlobalOptions& global, StorageOperationDeps& deps,
    std::shared_ptr<virt::Connection>& connection) {
  for (const auto& pair : global.mount_fs_types) {
    const auto eq = pair.find('=');
    auto type = parsePoolType(eq == std::string::npos ? "" : pair.substr(0, eq));
    if (eq == std::string::npos || !type || !isMountedType(*type)) {
      return util::Error{
          util::ErrorCode::InvalidArgument,
          fmt::format("--mount-fs-type '{}' must be cephfs=FSTYPE or nfs=FSTYPE", pair)};
    }
    deps.settings.file.mount_fs_types[*type].push_back(pair.substr(eq + 1));
  }
  deps.settings.file.qemu_img = global.qemu_img;
  global.rbd.qemu_img = global.qemu_img;
  deps.settings.rbd = global.rbd;
  deps.settings.path_roots = global.path_roots;
  deps.connect = [&global, &connection]() -> util::Result<std::shared_ptr<virt::Connection>> {
    if (!connection) {
      auto opened = virt::Connection::open(global.libvirt_uri);
      if (!opened) {
        return opened.error();
      }
      connection = std::make_shared<virt::Connection>(std::move(*opened));
    }
    return connection;
  };
  return lifecycle::ValidationContext{.path_roots = global.path_roots};
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  GlobalOptions global;
  StorageOperationDeps deps;
  // Shared by every handler of this run through deps.connect.
  std::shared_ptr<virt::Connection> connection;
  lifecycle::OperationTable table;
  addStorageOperations(table, deps);

  lifecycle::TableCli cli(
      "univirt-sdsctl: storage pools, disks, disk images and disk snapshots of this node, as "
      "virtctl runs them for VirtualMachinePool/Disk/DiskImage/DiskSnapshot requests.\n"
      "Every sub-command is an operation; `univirt-sdsctl <command> --help` lists its "
      "parameters. Exit status: 0 done, 1 failed, 2 usage error.",
      {.tool = "univirt-sdsctl",
       .command = commandOf,
       .prepare = [&]() { return prepareDeps(global, deps, connection); },
       .show = showSpecFields});
  CLI::App& app = cli.app();
  app.set_version_flag("--version", fmt::format("sdsctl {} (commit {})", kVersion, kGitCommit));
  app.add_option("--libvirt-uri", global.libvirt_uri, "libvirt connection")->capture_default_str();
  cli.addJsonFlag();
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
  return cli.run(table, argc, argv, out, err);
}

}  // namespace univirt::sdsctl
