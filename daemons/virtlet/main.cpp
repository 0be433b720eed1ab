// univirt-virtlet: reports this node's resources on its Node, and turns what appears on the
// host outside univirt's requests (domain XML files, image pool files, GPUs) into objects.

#include <memory>
#include <optional>
#include <string>

#include "core/daemon.h"
#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "core/util/lock_file.h"
#include "core/util/log.h"
#include "core/util/main_runner.h"
#include "core/virt/event_loop.h"
#include "core/virt/reconnecting_connection.h"
#include "virtlet/domain_sync.h"
#include "virtlet/gpu_sync.h"
#include "virtlet/image_sync.h"
#include "virtlet/node_reporter.h"
#include "virtlet/virtlet_options.h"

namespace {

using univirt::util::Config;
namespace kube = univirt::kube;
namespace virt = univirt::virt;
namespace virtlet = univirt::virtlet;

int runVirtlet(const Config& config) {
  std::optional<univirt::util::LockFile> lock;
  if (const std::string& path = config.getString("lock-file"); !path.empty()) {
    auto acquired = univirt::util::LockFile::acquire(path);
    if (!acquired.has_value()) {
      univirt::log::error("virtlet cannot start", {{"error", acquired.error().message}});
      return univirt::util::kExitFailure;
    }
    lock.emplace(std::move(*acquired));
  }
  kube::LoadOptions load;
  load.kubeconfig_path = config.getString("kubeconfig");
  auto client_config = kube::loadClientConfig(load);
  if (!client_config.has_value()) {
    univirt::log::error("no API server configuration", {{"error", client_config.error().message}});
    return univirt::util::kExitFailure;
  }
  auto client = kube::Client::create(*client_config);
  if (!client.has_value()) {
    univirt::log::error("cannot create the API client", {{"error", client.error().message}});
    return univirt::util::kExitFailure;
  }
  auto& clock = univirt::util::Clock::real();
  const std::string node = virtlet::resolveNodeName(config, univirt::util::processEnvironment());
  const std::string home = virtlet::homeNamespace(config);

  if (auto registered = virt::EventLoop::registerDefaultImpl(); !registered.has_value()) {
    univirt::log::error("libvirt event loop", {{"error", registered.error().message}});
    return univirt::util::kExitFailure;
  }
  virt::EventLoop loop;
  virt::ReconnectingConnection libvirt(
      virt::ReconnectOptions{.uri = config.getString("libvirt-uri")}, loop, clock);
  const virtlet::ConnectionSource connect = [&libvirt] { return libvirt.connection(); };

  virtlet::NodeReporter reporter(**client, connect,
                                 {.node_name = node,
                                  .vm_capacity = config.getInt("vm-capacity"),
                                  .heartbeat = config.getDuration("heartbeat-period"),
                                  .debounce = config.getDuration("report-debounce"),
                                  .sample = config.getDuration("sample-period"),
                                  .memory_step_mib = config.getInt("memory-report-step")},
                                 clock);
  // Liveness is the connection's keep-alive: a lost or regained libvirt is reported at once.
  libvirt.addListener([&reporter](const virt::ConnectionStatus&) { reporter.poke(); });
  virtlet::DomainSync domains(**client, connect,
                              {.node_name = node,
                               .home_namespace = home,
                               .config_dir = config.getString("qemu-config-dir"),
                               .debounce = config.getDuration("fs-debounce")},
                              clock);
  virtlet::ImageSync images(**client, connect,
                            {.node_name = node,
                             .home_namespace = home,
                             .debounce = config.getDuration("fs-debounce"),
                             .lease_duration = std::chrono::duration_cast<std::chrono::seconds>(
                                 config.getDuration("pool-lease-duration"))},
                            clock);
  virtlet::GpuSync gpus(**client, connect,
                        {.node_name = node,
                         .home_namespace = home,
                         .sysfs_root = config.getString("sysfs-root"),
                         .vendors = virtlet::parseVendors(config.getString("gpu-vendors")),
                         .rescan = config.getDuration("gpu-rescan-period")},
                        clock);

  univirt::core::Daemon daemon(univirt::core::Daemon::optionsFrom(config));
  daemon.add({.name = "libvirt event loop",
              .start = [&loop] { return loop.start(); },
              .stop = [&loop] { loop.stop(); }});
  daemon.add({.name = "libvirt connection",
              .start = [&libvirt] { return libvirt.start(); },
              .stop = [&libvirt] { libvirt.stop(); }});
  daemon.add({.name = "host reporter",
              .start = [&reporter, node]() -> univirt::util::Status {
                if (auto removed = reporter.removeHaLabel(); !removed) {
                  univirt::log::warn("nodeHA label not removed",
                                     {{"node", node}, {"error", removed.error().message}});
                }
                reporter.start();
                return {};
              },
              .stop = [&reporter] { reporter.stop(); }});
  daemon.add({.name = "domain files",
              .start = [&domains] { return domains.start(); },
              .stop = [&domains] { domains.stop(); }});
  daemon.add({.name = "image pools",
              .start = [&images] { return images.start(); },
              .stop = [&images] { images.stop(); }});
  daemon.add({.name = "gpus",
              .start = [&gpus] { return gpus.start(); },
              .stop = [&gpus] { gpus.stop(); }});
  daemon.addReadinessCheck("libvirt connected", [&libvirt] {
    return libvirt.status().state == virt::ConnectionState::Connected;
  });
  univirt::log::info(
      "virtlet starting",
      {{"node", node}, {"namespace", home}, {"libvirt", config.getString("libvirt-uri")}});
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  univirt::util::ConfigSchema schema(
      "virtlet",
      "reports this node's CPUs, memory and VM slots on its Node (doslab.io/cpu, "
      "doslab.io/memory, doslab.io/vms), creates or adopts the VirtualMachine of every domain "
      "defined outside univirt, keeps a VirtualMachineDiskImage per file of the image pools "
      "and a VirtualMachineGPU per GPU found in sysfs",
      univirt::virtlet::virtletOptions());
  schema.setDefault("health-address", "127.0.0.1:19991");
  return univirt::util::runMain(schema, argc, argv, runVirtlet);
}
