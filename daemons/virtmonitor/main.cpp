// univirt-virtmonitor: per-VM and per-node Prometheus metrics from one bulk libvirt call per
// refresh, served from a cache on port 19998 (paths / and /metrics) as upstream.

#include <memory>
#include <optional>
#include <string>

#include "core/daemon.h"
#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "core/kube/object.h"
#include "core/util/lock_file.h"
#include "core/util/log.h"
#include "core/util/main_runner.h"
#include "core/virt/event_loop.h"
#include "core/virt/reconnecting_connection.h"
#include "virtmonitor/exporter.h"
#include "virtmonitor/metrics_server.h"
#include "virtmonitor/virtmonitor_options.h"
#include "virtmonitor/vm_owners.h"

namespace {

namespace kube = univirt::kube;
namespace util = univirt::util;
namespace virt = univirt::virt;
namespace vm = univirt::virtmonitor;

// The VirtualMachine owners, when an API server is configured (a kubeconfig or in-cluster).
std::unique_ptr<kube::Client> apiClient(const util::Config& config) {
  const std::string& path = config.getString("kubeconfig");
  if (path.empty() && !kube::runningInCluster(kube::processEnv())) {
    univirt::log::info("no API server configured: namespace and name labels stay empty", {});
    return nullptr;
  }
  kube::LoadOptions load;
  load.kubeconfig_path = path;
  auto client_config = kube::loadClientConfig(load);
  if (!client_config.has_value()) {
    throw util::UsageError(client_config.error().message);
  }
  auto client = kube::Client::create(*client_config);
  if (!client.has_value()) {
    throw util::UsageError(client.error().message);
  }
  return std::move(*client);
}

// The upstream family's zone: --zone, else the Node's `zone` label, read once at startup as
// upstream did.
std::string resolveZone(const util::Config& config, kube::Client* client, const std::string& node) {
  if (const std::string& zone = config.getString("zone"); !zone.empty() || client == nullptr) {
    return zone;
  }
  auto object = client->get(
      kube::ResourceRef{.group = "", .version = "v1", .resource = "nodes", .namespaced = false},
      kube::ObjectKey{.namespace_name = "", .name = node});
  if (!object.has_value()) {
    univirt::log::warn("cannot read this node's zone label; zone stays empty",
                       {{"node", node}, {"err", object.error().message}});
    return "";
  }
  return kube::labelOf(*object, "zone");
}

int runVirtmonitor(const util::Config& config) {
  auto families = vm::parseFamilies(config.getString("metric-families"));
  if (!families.has_value()) {
    throw util::UsageError("metric-families: " + families.error().message);
  }
  auto paths = vm::parsePaths(config.getString("metrics-paths"));
  if (!paths.has_value()) {
    throw util::UsageError(paths.error().message);
  }
  std::optional<util::LockFile> lock;
  if (const std::string& path = config.getString("lock-file"); !path.empty()) {
    auto acquired = util::LockFile::acquire(path);
    if (!acquired.has_value()) {
      univirt::log::error("virtmonitor cannot start", {{"error", acquired.error().message}});
      return util::kExitFailure;
    }
    lock.emplace(std::move(*acquired));
  }
  const std::string node = vm::resolveNodeName(config, util::processEnvironment());
  std::unique_ptr<kube::Client> client = apiClient(config);
  std::unique_ptr<vm::VmOwners> owners;
  if (client) {
    owners = std::make_unique<vm::VmOwners>(*client, node, config.getString("namespace"));
  }

  if (auto registered = virt::EventLoop::registerDefaultImpl(); !registered.has_value()) {
    univirt::log::error("libvirt event loop", {{"error", registered.error().message}});
    return util::kExitFailure;
  }
  virt::EventLoop loop;
  virt::ReconnectingConnection libvirt(
      virt::ReconnectOptions{.uri = config.getString("libvirt-uri"),
                             .mode = config.getBool("libvirt-read-only")
                                         ? virt::OpenMode::ReadOnly
                                         : virt::OpenMode::ReadWrite},
      loop, util::Clock::real());
  vm::Exporter exporter(
      vm::ExporterOptions{.node = node,
                          .zone = resolveZone(config, client.get(), node),
                          .families = *families,
                          .interval = config.getDuration("refresh-interval")},
      [&libvirt] { return libvirt.connection(); },
      [&owners] { return owners ? owners->owners() : vm::Owners{}; });
  std::unique_ptr<vm::MetricsServer> server;

  univirt::core::Daemon daemon(univirt::core::Daemon::optionsFrom(config));
  daemon.add({.name = "libvirt event loop",
              .start = [&loop] { return loop.start(); },
              .stop = [&loop] { loop.stop(); }});
  daemon.add({.name = "libvirt connection",
              .start = [&libvirt] { return libvirt.start(); },
              .stop = [&libvirt] { libvirt.stop(); }});
  if (owners) {
    daemon.add({.name = "virtualmachine informer",
                .start = [&owners]() -> util::Status {
                  owners->start();
                  return {};
                },
                .stop = [&owners] { owners->stop(); }});
    daemon.addReadinessCheck("virtualmachines synced", [&owners] { return owners->hasSynced(); });
  }
  daemon.add({.name = "refresh",
              .start = [&exporter] { return exporter.start(); },
              .stop = [&exporter] { exporter.stop(); }});
  daemon.add({.name = "metrics server",
              .start = [&]() -> util::Status {
                auto started = vm::MetricsServer::start(
                    {.address = config.getString("metrics-address"), .paths = *paths}, exporter);
                if (!started.has_value()) {
                  return std::move(started).error();
                }
                server = std::move(*started);
                univirt::log::info("serving metrics",
                                   {{"port", static_cast<std::int64_t>(server->port())}});
                return {};
              },
              .stop = [&server] { server.reset(); }});
  daemon.addReadinessCheck("refreshed", [&exporter] { return exporter.hasRefreshed(); });
  univirt::log::info("virtmonitor starting", {{"node", node},
                                              {"libvirt", config.getString("libvirt-uri")},
                                              {"families", config.getString("metric-families")}});
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  util::ConfigSchema schema(
      "virtmonitor",
      "serves per-VM and per-node Prometheus metrics read from libvirt in one bulk call per "
      "refresh",
      vm::virtmonitorOptions());
  // Next to virtctl 19990, virtlet 19991 and libvirtwatcher 19992; the DaemonSet probes it.
  schema.setDefault("health-address", "127.0.0.1:19993");
  return util::runMain(schema, argc, argv, runVirtmonitor);
}
