#include "core/virt/domain.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {
namespace {

std::string readUuid(virDomainPtr domain) {
  char buffer[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(domain, buffer) < 0) {
    return {};
  }
  return buffer;
}

}  // namespace

std::string_view powerStateName(PowerState state) {
  switch (state) {
    case PowerState::NoState:
      return "NoState";
    case PowerState::Running:
      return "Running";
    case PowerState::Blocked:
      return "Blocked";
    case PowerState::Paused:
      return "Paused";
    case PowerState::ShuttingDown:
      return "ShuttingDown";
    case PowerState::Shutoff:
      return "Shutoff";
    case PowerState::Crashed:
      return "Crashed";
    case PowerState::PmSuspended:
      return "PmSuspended";
  }
  return "NoState";
}

PowerState powerStateFromLibvirt(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return PowerState::Running;
    case VIR_DOMAIN_BLOCKED:
      return PowerState::Blocked;
    case VIR_DOMAIN_PAUSED:
      return PowerState::Paused;
    case VIR_DOMAIN_SHUTDOWN:
      return PowerState::ShuttingDown;
    case VIR_DOMAIN_SHUTOFF:
      return PowerState::Shutoff;
    case VIR_DOMAIN_CRASHED:
      return PowerState::Crashed;
    case VIR_DOMAIN_PMSUSPENDED:
      return PowerState::PmSuspended;
    default:
      return PowerState::NoState;
  }
}

Domain::Domain(DomainHandle handle) : handle_(std::move(handle)) {
  UNIVIRT_CHECK(handle_, "a Domain is built only from a successful lookup or define");
  const char* name = virDomainGetName(handle_.get());
  name_ = name != nullptr ? name : "";
  uuid_ = readUuid(handle_.get());
}

util::Result<DomainInfo> Domain::info() const {
  virDomainInfo raw{};
  if (virDomainGetInfo(handle_.get(), &raw) < 0) {
    return lastError(fmt::format("reading info of domain '{}'", name_));
  }
  return DomainInfo{.state = powerStateFromLibvirt(raw.state),
                    .max_memory_kib = raw.maxMem,
                    .memory_kib = raw.memory,
                    .vcpus = raw.nrVirtCpu,
                    .cpu_time_ns = raw.cpuTime};
}

util::Result<PowerState> Domain::state() const {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(handle_.get(), &state, &reason, 0) < 0) {
    return lastError(fmt::format("reading state of domain '{}'", name_));
  }
  return powerStateFromLibvirt(state);
}

util::Result<bool> Domain::isActive() const {
  int active = virDomainIsActive(handle_.get());
  if (active < 0) {
    return lastError(fmt::format("checking whether domain '{}' is active", name_));
  }
  return active == 1;
}

util::Result<bool> Domain::isPersistent() const {
  int persistent = virDomainIsPersistent(handle_.get());
  if (persistent < 0) {
    return lastError(fmt::format("checking whether domain '{}' is persistent", name_));
  }
  return persistent == 1;
}

util::Result<std::string> Domain::xml(unsigned int flags) const {
  char* xml = virDomainGetXMLDesc(handle_.get(), flags);
  if (xml == nullptr) {
    return lastError(fmt::format("reading XML of domain '{}'", name_));
  }
  return takeString(xml);
}

util::Status Domain::start(unsigned int flags) {
  if (virDomainCreateWithFlags(handle_.get(), flags) < 0) {
    return lastError(fmt::format("starting domain '{}'", name_));
  }
  return util::ok();
}

util::Status Domain::shutdown() {
  if (virDomainShutdown(handle_.get()) < 0) {
    return lastError(fmt::format("shutting down domain '{}'", name_));
  }
  return util::ok();
}

util::Status Domain::destroy() {
  if (virDomainDestroy(handle_.get()) < 0) {
    return lastError(fmt::format("destroying domain '{}'", name_));
  }
  return util::ok();
}

util::Status Domain::suspend() {
  if (virDomainSuspend(handle_.get()) < 0) {
    return lastError(fmt::format("suspending domain '{}'", name_));
  }
  return util::ok();
}

util::Status Domain::resume() {
  if (virDomainResume(handle_.get()) < 0) {
    return lastError(fmt::format("resuming domain '{}'", name_));
  }
  return util::ok();
}

util::Status Domain::undefine(unsigned int flags) {
  if (virDomainUndefineFlags(handle_.get(), flags) < 0) {
    return lastError(fmt::format("undefining domain '{}'", name_));
  }
  return util::ok();
}

util::Result<DomainSnapshot> Domain::createSnapshot(const std::string& xml, unsigned int flags) {
  DomainSnapshotHandle snapshot(virDomainSnapshotCreateXML(handle_.get(), xml.c_str(), flags));
  if (!snapshot) {
    return lastError(fmt::format("creating a snapshot of domain '{}'", name_));
  }
  return DomainSnapshot(std::move(snapshot), name_);
}

util::Result<DomainSnapshot> Domain::lookupSnapshot(const std::string& name) const {
  DomainSnapshotHandle snapshot(virDomainSnapshotLookupByName(handle_.get(), name.c_str(), 0));
  if (!snapshot) {
    return lastError(fmt::format("looking up snapshot '{}' of domain '{}'", name, name_));
  }
  return DomainSnapshot(std::move(snapshot), name_);
}

util::Result<std::vector<DomainSnapshot>> Domain::listAllSnapshots(unsigned int flags) const {
  virDomainSnapshotPtr* raw = nullptr;
  int count = virDomainListAllSnapshots(handle_.get(), &raw, flags);
  if (count < 0) {
    return lastError(fmt::format("listing snapshots of domain '{}'", name_));
  }
  std::vector<DomainSnapshot> snapshots;
  for (DomainSnapshotHandle& handle : takeArray<DomainSnapshotHandle>(raw, count)) {
    snapshots.emplace_back(std::move(handle), name_);
  }
  return snapshots;
}

}  // namespace univirt::virt
