#pragma once

// OvnPortSync: the OVN side of a VM start or stop (crd-contract.md §6 steps 3-4), through
// ovnctl::VmNetwork on the endpoints of --ovn-nb / --ovs-db (empty northbound: OVN off, every
// call does nothing).
//
//  - started (a Started event, after the VirtualMachine refresh succeeded, or a resync that found
//    the domain running): every binding recorded for the domain in the northbound database is
//    bound again. Binding is idempotent, so a restarted watcher neither duplicates a port nor
//    loses one; a port removed while the VM was down (a stop, an operator) comes back, linked to
//    the OVS interface libvirt made for this start.
//  - stopped (a Stopped event that is no migration and no HA restart): the domain's logical
//    switch ports are removed as upstream's unbind-swport does, but the record on the switch
//    stays (ovnctl::UnbindMode::KeepRecord), so the next start binds them again. Upstream kept
//    that record in <vm>-nic-<mac>.cfg files; here the northbound database holds it.
//
// Errors are logged and recorded as a Warning Event of reason VirtletError on the
// VirtualMachine; they are never fatal and do not change what the refresh wrote.

#include <atomic>
#include <cstdint>
#include <string>

#include "core/kube/client.h"
#include "core/kube/events.h"
#include "core/util/result.h"

namespace univirt::libvirtwatcher {

struct OvnSyncStats {
  std::int64_t bound = 0;     // bindings (re)made or found in place on a start
  std::int64_t detached = 0;  // ports removed on a stop (records kept)
  std::int64_t failures = 0;  // starts/stops whose OVN work failed (one Event each)
};

class OvnPortSync {
 public:
  // `recorder` must outlive this object. An empty `northbound` turns OVN off.
  OvnPortSync(kube::EventRecorder& recorder, std::string northbound, std::string ovs_db)
      : recorder_(recorder), northbound_(std::move(northbound)), ovs_db_(std::move(ovs_db)) {}

  bool enabled() const { return !northbound_.empty(); }

  // Binds every recorded binding of `domain` again; the number in place afterwards.
  util::Result<int> started(const kube::Object& vm, const std::string& domain);
  // Removes the ports of `domain`'s bindings, keeping their records; the number removed.
  util::Result<int> stopped(const kube::Object& vm, const std::string& domain);

  OvnSyncStats stats() const;

 private:
  util::Error failed(const kube::Object& vm, const std::string& domain, util::Error error);

  kube::EventRecorder& recorder_;
  const std::string northbound_;
  const std::string ovs_db_;
  std::atomic<std::int64_t> bound_{0};
  std::atomic<std::int64_t> detached_{0};
  std::atomic<std::int64_t> failures_{0};
};

}  // namespace univirt::libvirtwatcher
