// univirt-libvirtwatcher: libvirt domain events of this node → the matching VirtualMachine's
// .spec.domain, .spec.powerstate and status (crd-contract.md §6), with HA restarts of domains
// labelled `ha` and a full resync after every (re)connect.

#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/daemon.h"
#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "core/util/lock_file.h"
#include "core/util/log.h"
#include "core/util/main_runner.h"
#include "core/virt/event_loop.h"
#include "core/virt/reconnecting_connection.h"
#include "libvirtwatcher/domain_watcher.h"
#include "libvirtwatcher/watcher_options.h"
#include "ovnctl/ovsdb_client.h"
#include "virtctl/virtctl_options.h"

namespace {

namespace kube = univirt::kube;
namespace virt = univirt::virt;
namespace util = univirt::util;
namespace log = univirt::log;
using univirt::libvirtwatcher::DomainWatcher;
using univirt::libvirtwatcher::WatcherOptions;

int runWatcher(const util::Config& config) {
  std::optional<util::LockFile> lock;
  if (const std::string& path = config.getString("lock-file"); !path.empty()) {
    auto acquired = util::LockFile::acquire(path);
    if (!acquired.has_value()) {
      log::error("libvirtwatcher cannot start", {{"err", acquired.error().message}});
      return util::kExitFailure;
    }
    lock.emplace(std::move(*acquired));
  }
  kube::LoadOptions load;
  load.kubeconfig_path = config.getString("kubeconfig");
  auto client_config = kube::loadClientConfig(load);
  if (!client_config.has_value()) {
    log::error("no API server configuration", {{"err", client_config.error().message}});
    return util::kExitFailure;
  }
  // A burst across many domains (a node's guests all stopped by a host event) is one write per
  // domain; 50 QPS writes 100 domains in two seconds without flooding the API server.
  kube::TransportOptions transport;
  transport.qps = 50;
  transport.burst = 100;
  auto client = kube::Client::create(*client_config, transport);
  if (!client.has_value()) {
    log::error("cannot create the API client", {{"err", client.error().message}});
    return util::kExitFailure;
  }
  const std::string node = univirt::virtctl::resolveNodeName(config, util::processEnvironment());
  for (const char* option : {"ovn-nb", "ovs-db"}) {
    if (const std::string& endpoint = config.getString(option); !endpoint.empty()) {
      if (auto parsed = univirt::ovnctl::parseEndpoint(endpoint); !parsed.has_value()) {
        throw util::UsageError(fmt::format("--{}: {}", option, parsed.error().message));
      }
    }
  }

  if (auto registered = virt::EventLoop::registerDefaultImpl(); !registered.has_value()) {
    log::error("libvirt event loop", {{"err", registered.error().message}});
    return util::kExitFailure;
  }
  // Before the watcher: its metrics live in the daemon's registry, served on /metrics.
  univirt::core::Daemon daemon(univirt::core::Daemon::optionsFrom(config));
  virt::EventLoop loop;
  virt::ReconnectingConnection libvirt(
      virt::ReconnectOptions{.uri = config.getString("libvirt-uri")}, loop, util::Clock::real());
  DomainWatcher watcher(
      **client, libvirt,
      WatcherOptions{.sync = {.node_name = node,
                              .namespace_name = config.getString("namespace"),
                              .home_namespace = config.getString("home-namespace"),
                              .ha_max_tries = static_cast<int>(config.getInt("ha-max-tries")),
                              .ha_retry_delay = config.getDuration("ha-retry-delay"),
                              .devices_dir = config.getString("devices-dir"),
                              .undefined_devices_dir = config.getString("undefined-devices-dir"),
                              .ovn_northbound = config.getString("ovn-nb"),
                              .ovs_db = config.getString("ovs-db")},
                     .workers = static_cast<std::size_t>(config.getInt("workers")),
                     .coalesce_window = config.getDuration("coalesce-window")},
      util::Clock::real(), &daemon.registry());

  daemon.add({.name = "libvirt event loop",
              .start = [&loop] { return loop.start(); },
              .stop = [&loop] { loop.stop(); }});
  // The watcher follows the connection from before its first open, so the first connect
  // subscribes and resyncs like every later one.
  daemon.add({.name = "domain watcher",
              .start = [&watcher]() -> util::Status {
                watcher.start();
                return {};
              },
              .stop = [&watcher] { watcher.stop(); }});
  daemon.add({.name = "libvirt connection",
              .start = [&libvirt] { return libvirt.start(); },
              .stop = [&libvirt] { libvirt.stop(); }});
  daemon.addReadinessCheck("libvirt events subscribed", [&watcher] { return watcher.ready(); });
  log::info("libvirtwatcher starting",
            {{"node", node}, {"libvirt", config.getString("libvirt-uri")}});
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  static const std::string kSummary =
      "turns libvirt domain events of this node into the state of the matching VirtualMachine "
      "(.spec.domain, .spec.powerstate, .spec.status, .status), restarts domains labelled 'ha' "
      "that stop unexpectedly, and resynchronizes every domain after each libvirt (re)connect";
  util::ConfigSchema schema("libvirtwatcher", kSummary, univirt::libvirtwatcher::watcherOptions());
  schema.setDefault("health-address", "127.0.0.1:19992");
  return util::runMain(schema, argc, argv, runWatcher);
}
