#pragma once

// DomainSync: upstream's watcher on /etc/libvirt/qemu (crd-contract.md §5.2, first rows).
//
// inotify (no polling) reports `<vm>.xml` written or renamed into libvirt's persistent domain
// directory; after debouncing per file the domain is read from libvirt (the file only says
// which one) and its VirtualMachine is
//   * created when missing: labels.host, .spec.domain/nodeName/powerstate/status as upstream;
//   * refreshed when it is this node's: .spec.domain merged, description set (power state is
//     libvirtwatcher's);
//   * adopted when it names no node, or another node while the domain runs here (migrated or
//     moved by hand): labels.host and .spec.nodeName become this node.
// A pending spec.lifecycle is kept (upstream dropped it, losing the request).
// The namespace is the one univirt recorded in the domain's metadata (a domain virtctl made for
// a VirtualMachine elsewhere), else the home namespace.
// A file that is not well-formed XML, or names a domain libvirt does not know, is logged once
// and skipped. A deleted file changes nothing (deleteVM removes objects).
// When the API server refuses the refreshed object for good (too large, invalid), the failure
// is reported on it as upstream's report_failure: .spec.status.conditions.state.waiting
// {reason VirtletError, message}, plus a Warning Event of that reason.

#include <chrono>
#include <string>

#include "core/kube/client.h"
#include "core/kube/events.h"
#include "core/util/clock.h"
#include "virtlet/inotify_watcher.h"
#include "virtlet/key_debouncer.h"
#include "virtlet/log_once.h"
#include "virtlet/node_reporter.h"

namespace univirt::virtlet {

struct DomainSyncOptions {
  std::string node_name = {};
  std::string home_namespace = "default";
  std::string config_dir = "/etc/libvirt/qemu";
  std::chrono::milliseconds debounce{4'000};
};

class DomainSync {
 public:
  DomainSync(kube::Client& client, ConnectionSource connect, DomainSyncOptions options,
             util::Clock& clock);
  ~DomainSync();
  DomainSync(const DomainSync&) = delete;
  DomainSync& operator=(const DomainSync&) = delete;

  // Creates the directory if missing (as upstream), watches it and queues every file in it.
  // A directory that cannot be watched is logged and left alone: never fatal.
  util::Status start();
  void stop();
  // Queues every `*.xml` of the directory (start-up, inotify overflow).
  void queueAll();
  // Files waiting for or in their handler.
  std::size_t pending() const { return debouncer_.pending(); }
  std::size_t handled() const { return debouncer_.runs(); }
  // Files skipped as malformed or unknown, not yet good again.
  std::size_t skipped() const { return skipped_.size(); }

  // One domain now, on the caller's thread.
  util::Status syncDomain(const std::string& name);

 private:
  void onEvent(const FsEvent& event);
  void handle(const std::string& name);
  void reportFailure(const kube::ObjectKey& key, const std::string& message);

  kube::Client& client_;
  ConnectionSource connect_;
  const DomainSyncOptions options_;
  util::Clock& clock_;
  kube::EventRecorder recorder_;
  KeyedDebouncer debouncer_;
  InotifyWatcher watcher_;
  LogOnce skipped_;
};

}  // namespace univirt::virtlet
