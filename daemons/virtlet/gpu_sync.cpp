#include "virtlet/gpu_sync.h"

#include <filesystem>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>
#include <sys/inotify.h>

#include "core/util/log.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

constexpr const char* kWatchedDirs[] = {"bus/pci/drivers/nvidia", "bus/pci/drivers/vfio-pci",
                                        "bus/pci/devices"};

}  // namespace

GpuSync::GpuSync(kube::Client& client, ConnectionSource connect, GpuSyncOptions options,
                 util::Clock& clock)
    : client_(client),
      connect_(std::move(connect)),
      options_(std::move(options)),
      clock_(clock),
      watcher_([this](const FsEvent& /*event*/) { poke(); }) {}

GpuSync::~GpuSync() { stop(); }

util::Status GpuSync::start() {
  if (auto started = watcher_.start(); !started) {
    return started;
  }
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  return {};
}

void GpuSync::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    {
      std::lock_guard lock(mu_);
      wake_.request_stop();
    }
    thread_.join();
  }
  watcher_.stop();
}

void GpuSync::poke() {
  std::lock_guard lock(mu_);
  poked_ = true;
  wake_.request_stop();
}

std::size_t GpuSync::scans() const {
  std::lock_guard lock(mu_);
  return scans_;
}

std::size_t GpuSync::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

void GpuSync::run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    watchDirs();
    scan();
    std::stop_token wake;
    {
      std::lock_guard lock(mu_);
      if (std::exchange(poked_, false)) {
        continue;
      }
      wake_ = std::stop_source();
      wake = wake_.get_token();
    }
    if (stop.stop_requested()) {
      return;
    }
    clock_.sleepFor(options_.rescan, wake);
  }
}

void GpuSync::watchDirs() {
  for (const char* relative : kWatchedDirs) {
    const std::string dir = fmt::format("{}/{}", options_.sysfs_root, relative);
    if (watcher_.watching(dir) || !std::filesystem::is_directory(dir)) {
      continue;
    }
    // Absent until its driver loads; watched once it exists (next scan).
    (void)watcher_.watch(dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB);
  }
}

std::string GpuSync::inUse(const GpuDevice& gpu) {
  if (gpu.driver != "vfio-pci") {
    return "free";
  }
  // Passed through: the active domain whose <hostdev> names this device's bus (upstream's rule).
  const std::string bus = gpu.address.size() >= 7 ? "0x" + gpu.address.substr(5, 2) : "";
  auto connection = connect_();
  if (!connection) {
    return "free";
  }
  auto domains = (*connection)->listAllDomains(VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  if (!domains) {
    return "free";
  }
  for (const auto& domain : *domains) {
    auto xml = domain.xml(0);
    pugi::xml_document doc;
    if (!xml || !doc.load_string(xml->c_str())) {
      continue;
    }
    for (pugi::xml_node hostdev : doc.child("domain").child("devices").children("hostdev")) {
      const std::string used =
          hostdev.child("source").child("address").attribute("bus").as_string();
      if (!bus.empty() && used == bus) {
        return domain.name();
      }
    }
  }
  return "free";
}

void GpuSync::scan() {
  std::map<std::string, nlohmann::json> desired;
  auto gpus = scanGpus(options_.sysfs_root, options_.vendors);
  if (!gpus) {
    skipped_.warn(options_.sysfs_root, "no sysfs tree, no GPUs reported",
                  {{"sysfs_root", options_.sysfs_root}, {"error", gpus.error().message}});
  } else {
    skipped_.forget(options_.sysfs_root);
    for (const GpuDevice& gpu : *gpus) {
      desired[gpuObjectName(options_.node_name, gpu)] =
          gpuSpec(gpu, options_.node_name, inUse(gpu));
    }
  }
  if (!listed_) {
    // Objects this node wrote before a restart: compare against them, delete the gone ones.
    kube::ListOptions list;
    list.label_selector = fmt::format("{}={}", kHostLabel, options_.node_name);
    auto existing = client_.list(kGpus, options_.home_namespace, list);
    if (existing) {
      for (const auto& item : existing->items) {
        written_[kube::nameOf(item)] = item.value("spec", nlohmann::json::object());
      }
      listed_ = true;
    }
  }
  for (const auto& [name, spec] : desired) {
    auto it = written_.find(name);
    if (it != written_.end() && it->second == spec) {
      continue;
    }
    if (auto status = writeGpu(name, spec); !status) {
      log::warn("gpu not written", {{"name", name}, {"error", status.error().message}});
      continue;
    }
    written_[name] = spec;
  }
  for (auto it = written_.begin(); it != written_.end();) {
    if (desired.count(it->first) != 0) {
      ++it;
      continue;
    }
    auto removed = client_.remove(kGpus, kube::ObjectKey{options_.home_namespace, it->first});
    if (!removed && removed.error().code != util::ErrorCode::NotFound) {
      log::warn("gpu not deleted", {{"name", it->first}, {"error", removed.error().message}});
      ++it;
      continue;
    }
    log::info("gpu removed", {{"name", it->first}});
    it = written_.erase(it);
  }
  std::lock_guard lock(mu_);
  ++scans_;
}

util::Status GpuSync::writeGpu(const std::string& name, const nlohmann::json& spec) {
  const kube::ObjectKey key{options_.home_namespace, name};
  auto existing = client_.get(kGpus, key);
  if (!existing && existing.error().code != util::ErrorCode::NotFound) {
    return existing.error();
  }
  util::Result<kube::Object> written = util::Error{util::ErrorCode::Internal, "not written"};
  if (!existing) {
    written = client_.create(kGpus, {{"apiVersion", "doslab.io/v1"},
                                     {"kind", "VirtualMachineGPU"},
                                     {"metadata",
                                      {{"name", name},
                                       {"namespace", options_.home_namespace},
                                       {"labels", {{kHostLabel, options_.node_name}}}}},
                                     {"spec", spec}});
  } else {
    // upstream replaces .spec as a whole.
    (*existing)["spec"] = spec;
    written = client_.update(kGpus, *existing);
  }
  if (!written) {
    return written.error();
  }
  log::info("gpu reported", {{"name", name},
                             {"driver", spec["gpu"].value("kernelDriverInUse", "")},
                             {"use_mode", spec["gpu"].value("useMode", "")}});
  std::lock_guard lock(mu_);
  ++writes_;
  return {};
}

}  // namespace univirt::virtlet
