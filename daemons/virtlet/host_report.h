#pragma once

// What virtlet reports about its host on the Node (crd-contract.md §5.1): capacity and
// allocatable of doslab.io/cpu, doslab.io/memory (MiB) and doslab.io/vms, and two conditions.
// Pure functions: sampling libvirt is one call here, deciding and merging need no I/O.
//
// Conditions use types of our own (VirtletReady, VirtletMemoryPressure) with upstream's
// reasons, so they sit next to the kubelet's Ready/MemoryPressure instead of fighting them.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "core/util/result.h"
#include "core/virt/connection.h"

namespace univirt::virtlet {

inline constexpr const char* kCpuResource = "doslab.io/cpu";
inline constexpr const char* kMemoryResource = "doslab.io/memory";
inline constexpr const char* kVmsResource = "doslab.io/vms";
inline constexpr const char* kReadyCondition = "VirtletReady";
inline constexpr const char* kMemoryPressureCondition = "VirtletMemoryPressure";

struct HostSample {
  std::int64_t cpus = 0;
  std::int64_t memory_mib = 0;
  std::int64_t free_memory_mib = 0;
  std::int64_t active_vms = 0;
  std::int64_t used_vcpus = 0;  // vCPUs of the active domains
};

// virNodeGetInfo, virNodeGetFreeMemory and the active domains' vCPUs: local calls only.
util::Result<HostSample> sampleHost(const virt::Connection& connection);

struct NodeReport {
  std::map<std::string, std::int64_t> capacity;
  std::map<std::string, std::int64_t> allocatable;
  bool libvirt_ready = false;
  std::string ready_reason = {};   // VirtletReady | LibvirtUnavailable
  std::string ready_message = {};  // whole sentence
  bool memory_pressure = false;
};

// `sample` is the last good one (capacity stays known while libvirt is away); `libvirt_error`
// empty means libvirt answered this time.
NodeReport makeReport(const HostSample& sample, std::int64_t vm_capacity,
                      const std::string& libvirt_error);

// Whether `now` differs from what was written enough to write again: any capacity, CPU or VM
// count, condition change, or free memory moving by at least `memory_step_mib`.
bool reportChanged(const NodeReport& written, const NodeReport& now, std::int64_t memory_step_mib);

// The Node's .status with the report applied: our resource names set (values as strings, as
// upstream and Kubernetes quantities), our condition types replaced, everything else kept.
nlohmann::json applyReport(const nlohmann::json& status, const NodeReport& report,
                           util::Clock::WallTime now);

}  // namespace univirt::virtlet
