#pragma once

// ImageSync: VirtualMachineDiskImage objects for the files of image pools (crd-contract.md
// §5.2, last rows).
//
// An image pool is an active libvirt storage pool whose target directory holds a file
// `content` containing "vmdi". Each such directory is watched with inotify (no polling); a
// file that appears gets a VirtualMachineDiskImage named after it (.spec.volume = {current,
// pool, type = extension, format "raw"}, nodeName, status Ready), a file that disappears has
// its object deleted. Events are debounced per file.
//
// One node acts for a pool: the holder of the pool's Lease (pool_lease.h). A node that gains a
// Lease first reconciles the whole directory with the objects (create the missing, delete the
// stale), so files that changed while the previous holder was gone are not lost.
//
// Pools are looked up in libvirt every lease round (local calls): a new image pool is
// watched within one round. An unreadable pool directory or a file name that is no valid
// object name is logged once and skipped.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/kube/client.h"
#include "core/util/clock.h"
#include "virtlet/inotify_watcher.h"
#include "virtlet/key_debouncer.h"
#include "virtlet/log_once.h"
#include "virtlet/node_reporter.h"
#include "virtlet/pool_lease.h"

namespace univirt::virtlet {

struct ImageSyncOptions {
  std::string node_name = {};
  std::string home_namespace = "default";
  std::chrono::milliseconds debounce{4'000};
  std::chrono::seconds lease_duration{15};
};

struct ImagePool {
  std::string name = {};
  std::string dir = {};
};

class ImageSync {
 public:
  ImageSync(kube::Client& client, ConnectionSource connect, ImageSyncOptions options,
            util::Clock& clock);
  ~ImageSync();
  ImageSync(const ImageSync&) = delete;
  ImageSync& operator=(const ImageSync&) = delete;

  util::Status start();
  void stop();

  // One round at once (the thread runs one every lease_duration / 3): find image pools, watch
  // them, acquire or renew their Leases.
  void round();
  // Pools whose Lease this node holds.
  std::set<std::string> heldPools() const;
  std::size_t pending() const { return debouncer_.pending(); }
  std::size_t rounds() const;
  std::size_t skipped() const { return skipped_.size(); }

 private:
  void run(const std::stop_token& stop);
  std::vector<ImagePool> findImagePools();
  void onEvent(const FsEvent& event);
  void handle(const std::string& key);
  void reconcilePool(const ImagePool& pool);
  util::Status syncImage(const ImagePool& pool, const std::string& file);

  kube::Client& client_;
  ConnectionSource connect_;
  const ImageSyncOptions options_;
  util::Clock& clock_;
  KeyedDebouncer debouncer_;
  InotifyWatcher watcher_;
  LogOnce skipped_;
  mutable std::mutex mu_;
  std::map<std::string, ImagePool> pools_;                    // guarded by mu_: by directory
  std::map<std::string, std::unique_ptr<PoolLease>> leases_;  // round() only: by pool name
  std::set<std::string> held_;                                // guarded by mu_
  std::size_t rounds_ = 0;                                    // guarded by mu_
  std::jthread thread_;
};

// A file name as an object name: a DNS subdomain (lower-case alphanumerics, '-', '.').
bool isValidObjectName(const std::string& name);

}  // namespace univirt::virtlet
