#pragma once

// Domain: one libvirt domain (a VM) and the lifecycle calls univirt makes on it.
// Every method is one libvirt call; failures come back as util::Error naming the domain
// (virt_error.h). Thread-safe as libvirt is: a Domain may be used from any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/virt/domain_snapshot.h"
#include "core/virt/handles.h"

namespace univirt::virt {

// virDomainState, by its meaning.
enum class PowerState {
  NoState,
  Running,
  Blocked,
  Paused,
  ShuttingDown,
  Shutoff,
  Crashed,
  PmSuspended,
};

std::string_view powerStateName(PowerState state);
PowerState powerStateFromLibvirt(int state);

struct DomainInfo {
  PowerState state = PowerState::NoState;
  std::uint64_t max_memory_kib = 0;
  std::uint64_t memory_kib = 0;
  unsigned int vcpus = 0;
  std::uint64_t cpu_time_ns = 0;
};

class Domain {
 public:
  // `handle` must not be empty.
  explicit Domain(DomainHandle handle);

  virDomainPtr get() const { return handle_.get(); }
  // Cached at construction, so error messages never need another libvirt call.
  const std::string& name() const { return name_; }
  const std::string& uuid() const { return uuid_; }

  util::Result<DomainInfo> info() const;
  util::Result<PowerState> state() const;
  util::Result<bool> isActive() const;
  util::Result<bool> isPersistent() const;
  // virDomainGetXMLDesc; `flags` are VIR_DOMAIN_XML_* (e.g. VIR_DOMAIN_XML_INACTIVE).
  util::Result<std::string> xml(unsigned int flags = 0) const;

  // virDomainCreateWithFlags: boots a defined domain.
  util::Status start(unsigned int flags = 0);
  // Asks the guest to shut down (ACPI); returns before it has.
  util::Status shutdown();
  // Pulls the plug.
  util::Status destroy();
  util::Status suspend();
  util::Status resume();
  // virDomainUndefineFlags; `flags` are VIR_DOMAIN_UNDEFINE_* (e.g. SNAPSHOTS_METADATA).
  util::Status undefine(unsigned int flags = 0);

  // virDomainSnapshotCreateXML; `flags` are VIR_DOMAIN_SNAPSHOT_CREATE_*.
  util::Result<DomainSnapshot> createSnapshot(const std::string& xml, unsigned int flags = 0);
  util::Result<DomainSnapshot> lookupSnapshot(const std::string& name) const;
  util::Result<std::vector<DomainSnapshot>> listAllSnapshots(unsigned int flags = 0) const;

 private:
  DomainHandle handle_;
  std::string name_;
  std::string uuid_;
};

}  // namespace univirt::virt
