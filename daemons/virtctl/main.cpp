// univirt-virtctl: the node daemon that carries out every lifecycle request (`spec.lifecycle`)
// of the objects labelled host=<this node>, through libvirt in-process.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "core/util/lock_file.h"
#include "core/util/log.h"
#include "core/util/main_runner.h"
#include "core/virt/event_loop.h"
#include "core/virt/reconnecting_connection.h"
#include "ovnctl/network_operations.h"
#include "ovnctl/ovsdb_client.h"
#include "sdsctl/storage_operations.h"
#include "virtctl/virtctl_options.h"
#include "virtctl/vm/vm_operations.h"
#include "virtctl/watched_kinds.h"

namespace {

using univirt::util::Config;

int runVirtctl(const Config& config, const univirt::lifecycle::OperationTable& table,
               univirt::virtctl::VmOperationDeps& deps,
               univirt::sdsctl::StorageOperationDeps& storage,
               univirt::ovnctl::NetworkOperationDeps& network) {
  namespace kube = univirt::kube;
  namespace virt = univirt::virt;
  namespace lifecycle = univirt::lifecycle;

  std::optional<univirt::util::LockFile> lock;
  if (const std::string& path = config.getString("lock-file"); !path.empty()) {
    auto acquired = univirt::util::LockFile::acquire(path);
    if (!acquired.has_value()) {
      univirt::log::error("virtctl cannot start", {{"error", acquired.error().message}});
      return univirt::util::kExitFailure;
    }
    lock.emplace(std::move(*acquired));
  }
  auto roots = univirt::virtctl::parsePathRoots(config.getString("path-roots"));
  if (!roots.has_value()) {
    throw univirt::util::UsageError(roots.error().message);
  }
  auto migration_uri =
      univirt::virtctl::parseMigrationUri("migration-uri", config.getString("migration-uri"));
  auto migration_data_uri = univirt::virtctl::parseMigrationUri(
      "migration-data-uri", config.getString("migration-data-uri"));
  if (!migration_uri.has_value() || !migration_data_uri.has_value()) {
    throw univirt::util::UsageError(migration_uri.has_value() ? migration_data_uri.error().message
                                                              : migration_uri.error().message);
  }

  kube::LoadOptions load;
  load.kubeconfig_path = config.getString("kubeconfig");
  auto client_config = kube::loadClientConfig(load);
  if (!client_config.has_value()) {
    univirt::log::error("no API server configuration", {{"error", client_config.error().message}});
    return univirt::util::kExitFailure;
  }
  // client-go's default (5 QPS) would hold a node to about one request a second at four
  // writes per request; the bench measures ~200 requests/s through the engine.
  kube::TransportOptions transport;
  transport.qps = 50;
  transport.burst = 100;
  auto client = kube::Client::create(*client_config, transport);
  if (!client.has_value()) {
    univirt::log::error("cannot create the API client", {{"error", client.error().message}});
    return univirt::util::kExitFailure;
  }

  const std::string node =
      univirt::virtctl::resolveNodeName(config, univirt::util::processEnvironment());
  deps.settings.node_name = node;
  deps.settings.kvm_available = ::access("/dev/kvm", R_OK | W_OK) == 0;
  deps.settings.allow_qemu_fallback = config.getBool("allow-qemu-fallback");
  deps.settings.device_dir = config.getString("device-dir");
  deps.settings.migration_connect_uri = *migration_uri;
  deps.settings.migration_data_uri = *migration_data_uri;
  deps.client = client->get();

  if (auto registered = virt::EventLoop::registerDefaultImpl(); !registered.has_value()) {
    univirt::log::error("libvirt event loop", {{"error", registered.error().message}});
    return univirt::util::kExitFailure;
  }
  virt::EventLoop loop;
  virt::ReconnectingConnection libvirt(
      virt::ReconnectOptions{.uri = config.getString("libvirt-uri")}, loop,
      univirt::util::Clock::real());
  deps.connect = [&libvirt] { return libvirt.connection(); };
  storage.connect = deps.connect;
  storage.client = deps.client;
  storage.node_name = node;
  storage.settings.path_roots = *roots;
  storage.settings.rbd.conf = config.getString("ceph-conf");
  network.northbound = config.getString("ovn-nb");
  network.ovs_db = config.getString("ovs-db");
  for (const auto& [option, endpoint] :
       {std::pair{"ovn-nb", network.northbound}, std::pair{"ovs-db", network.ovs_db}}) {
    if (!endpoint.empty()) {
      if (auto parsed = univirt::ovnctl::parseEndpoint(endpoint); !parsed.has_value()) {
        throw univirt::util::UsageError(fmt::format("--{}: {}", option, parsed.error().message));
      }
    }
  }
  network.node_name = node;
  // The VM NICs of type l3bridge are bound through the same endpoints (vm/ovn_nics.h).
  deps.ovn_northbound = network.northbound;
  deps.ovs_db = network.ovs_db;

  lifecycle::EngineOptions options{
      .node_name = node,
      .namespace_name = config.getString("namespace"),
      .workers = static_cast<std::size_t>(config.getInt("workers")),
      .validation = {.path_roots = *roots},
      .resync_period =
          std::chrono::duration_cast<std::chrono::seconds>(config.getDuration("resync-period")),
      .backend_ready =
          [&libvirt] { return libvirt.status().state == virt::ConnectionState::Connected; },
      .pause_after_take = config.getDuration("debug-pause-after-take"),
      .pause_before_outcome = config.getDuration("debug-pause-before-outcome"),
  };
  auto kinds = univirt::virtctl::watchedKinds(table);
  univirt::sdsctl::addCleanupFinalizers(kinds);
  lifecycle::LifecycleEngine engine(**client, table, std::move(kinds), options);

  univirt::core::Daemon daemon(univirt::core::Daemon::optionsFrom(config));
  daemon.add({.name = "libvirt event loop",
              .start = [&loop] { return loop.start(); },
              .stop = [&loop] { loop.stop(); }});
  daemon.add({.name = "libvirt connection",
              .start = [&libvirt] { return libvirt.start(); },
              .stop = [&libvirt] { libvirt.stop(); }});
  daemon.add({.name = "lifecycle engine",
              .start = [&engine]() -> univirt::util::Status {
                engine.start();
                return {};
              },
              .stop = [&engine] { engine.stop(); }});
  daemon.addReadinessCheck("watches synced", [&engine] { return engine.hasSynced(); });
  daemon.addReadinessCheck("libvirt connected", [&libvirt] {
    return libvirt.status().state == virt::ConnectionState::Connected;
  });
  univirt::log::info("virtctl starting",
                     {{"node", node},
                      {"libvirt", config.getString("libvirt-uri")},
                      {"operations", static_cast<std::int64_t>(table.all().size())}});
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  // The table is built before the flags are parsed so that --help lists every operation.
  // Handlers hold `deps` by reference; the settings are filled in once the config is known.
  static univirt::virtctl::VmOperationDeps deps;
  static univirt::lifecycle::OperationTable table;
  univirt::virtctl::addVirtualMachineOperations(table, deps);
  static univirt::sdsctl::StorageOperationDeps storage_deps;
  univirt::sdsctl::addStorageOperations(table, storage_deps);
  static univirt::ovnctl::NetworkOperationDeps network_deps;
  univirt::ovnctl::addNetworkOperations(table, network_deps);
  static const std::string kSummary = fmt::format(
      "carries out the lifecycle requests (spec.lifecycle) of the VirtualMachines, disks, "
      "images, snapshots, pools and networks labelled host=<this node>\n\n{}",
      univirt::lifecycle::renderHelp(table));
  static std::vector<univirt::util::ConfigOption> options(
      univirt::virtctl::virtctlOptions().begin(), univirt::virtctl::virtctlOptions().end());
  options.insert(options.end(), univirt::ovnctl::networkConfigOptions().begin(),
                 univirt::ovnctl::networkConfigOptions().end());
  univirt::util::ConfigSchema schema("virtctl", kSummary, options);
  schema.setDefault("health-address", "127.0.0.1:19990");
  return univirt::util::runMain(schema, argc, argv, [](const Config& config) {
    return runVirtctl(config, table, deps, storage_deps, network_deps);
  });
}
