#pragma once

// GpuSync: one VirtualMachineGPU per GPU of this node (crd-contract.md §5.3), kept up to date.
//
// sysfs is scanned at start, whenever inotify reports a change under
// <sysfs-root>/bus/pci/drivers/{nvidia,vfio-pci} or bus/pci/devices (a bind, an unbind, a
// device added), and every rescan period: the kernel sends no inotify events for the real
// sysfs, so the period is what notices a bind there. A scan is local; only differences from
// what was last written reach the API server. Objects of GPUs that are gone are deleted.
// A missing sysfs tree is logged once and means no GPUs; it is never fatal.

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/util/clock.h"
#include "virtlet/gpu_scan.h"
#include "virtlet/inotify_watcher.h"
#include "virtlet/log_once.h"
#include "virtlet/node_reporter.h"

namespace univirt::virtlet {

struct GpuSyncOptions {
  std::string node_name = {};
  std::string home_namespace = "default";
  std::string sysfs_root = "/sys";
  std::set<std::string> vendors = {"0x10de"};
  std::chrono::milliseconds rescan{60'000};
};

class GpuSync {
 public:
  GpuSync(kube::Client& client, ConnectionSource connect, GpuSyncOptions options,
          util::Clock& clock);
  ~GpuSync();
  GpuSync(const GpuSync&) = delete;
  GpuSync& operator=(const GpuSync&) = delete;

  util::Status start();
  void stop();
  void poke();
  // One scan and write-back on the caller's thread.
  void scan();
  std::size_t scans() const;
  std::size_t writes() const;
  std::size_t skipped() const { return skipped_.size(); }

 private:
  void run(const std::stop_token& stop);
  void watchDirs();
  std::string inUse(const GpuDevice& gpu);
  util::Status writeGpu(const std::string& name, const nlohmann::json& spec);

  kube::Client& client_;
  ConnectionSource connect_;
  const GpuSyncOptions options_;
  util::Clock& clock_;
  InotifyWatcher watcher_;
  LogOnce skipped_;
  std::map<std::string, nlohmann::json> written_;  // scan() only: name -> .spec
  bool listed_ = false;                            // scan() only
  mutable std::mutex mu_;
  std::stop_source wake_;   // guarded by mu_
  bool poked_ = false;      // guarded by mu_
  std::size_t scans_ = 0;   // guarded by mu_
  std::size_t writes_ = 0;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace univirt::virtlet
