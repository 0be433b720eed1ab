#include "virtlet/host_report.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/kube/object.h"
#include "core/virt/virt_error.h"

namespace univirt::virtlet {
namespace {

constexpr std::int64_t kMib = 1024 * 1024;

nlohmann::json condition(const std::string& type, bool status, const std::string& reason,
                         const std::string& message, const std::string& now,
                         const nlohmann::json& previous) {
  const std::string status_text = status ? "True" : "False";
  std::string transition = now;
  if (previous.is_object() && previous.value("status", "") == status_text) {
    transition = previous.value("lastTransitionTime", now);
  }
  return nlohmann::json{
      {"type", type},       {"status", status_text},    {"reason", reason},
      {"message", message}, {"lastHeartbeatTime", now}, {"lastTransitionTime", transition}};
}

}  // namespace

util::Result<HostSample> sampleHost(const virt::Connection& connection) {
  virNodeInfo info{};
  if (virNodeGetInfo(connection.get(), &info) < 0) {
    return virt::lastError("reading the host's CPU and memory (virNodeGetInfo)");
  }
  HostSample sample;
  sample.cpus = static_cast<std::int64_t>(info.cpus);
  sample.memory_mib = static_cast<std::int64_t>(info.memory / 1024);  // KiB
  const unsigned long long free_bytes = virNodeGetFreeMemory(connection.get());
  if (free_bytes == 0) {
    // 0 is also libvirt's error value; a host with no free byte is not running libvirtd.
    return virt::lastError("reading the host's free memory (virNodeGetFreeMemory)");
  }
  sample.free_memory_mib = static_cast<std::int64_t>(free_bytes / kMib);
  auto domains = connection.listAllDomains(VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  if (!domains) {
    return domains.error();
  }
  sample.active_vms = static_cast<std::int64_t>(domains->size());
  for (const auto& domain : *domains) {
    auto domain_info = domain.info();
    if (domain_info) {
      sample.used_vcpus += domain_info->vcpus;
    }
  }
  return sample;
}

NodeReport makeReport(const HostSample& sample, std::int64_t vm_capacity,
                      const std::string& libvirt_error) {
  NodeReport report;
  report.capacity = {{kCpuResource, sample.cpus},
                     {kMemoryResource, sample.memory_mib},
                     {kVmsResource, vm_capacity}};
  report.allocatable = {{kCpuResource, std::max<std::int64_t>(0, sample.cpus - sample.used_vcpus)},
                        {kMemoryResource, sample.free_memory_mib},
                        {kVmsResource, std::max<std::int64_t>(0, vm_capacity - sample.active_vms)}};
  report.libvirt_ready = libvirt_error.empty();
  if (report.libvirt_ready) {
    report.ready_reason = "VirtletReady";
    report.ready_message = "virtlet is posting ready status; libvirt answers";
  } else {
    report.ready_reason = "LibvirtUnavailable";
    report.ready_message = fmt::format("libvirt does not answer: {}", libvirt_error);
  }
  // Under a tenth of the memory free: new VMs should go elsewhere.
  report.memory_pressure = sample.memory_mib > 0 && sample.free_memory_mib * 10 < sample.memory_mib;
  return report;
}

bool reportChanged(const NodeReport& written, const NodeReport& now, std::int64_t memory_step_mib) {
  if (written.capacity != now.capacity || written.libvirt_ready != now.libvirt_ready ||
      written.memory_pressure != now.memory_pressure) {
    return true;
  }
  for (const auto& [name, value] : now.allocatable) {
    auto it = written.allocatable.find(name);
    if (it == written.allocatable.end()) {
      return true;
    }
    const std::int64_t step = name == kMemoryResource ? memory_step_mib : 1;
    if (std::abs(it->second - value) >= step) {
      return true;
    }
  }
  return false;
}

nlohmann::json applyReport(const nlohmann::json& status, const NodeReport& report,
                           util::Clock::WallTime now) {
  nlohmann::json out = status.is_object() ? status : nlohmann::json::object();
  for (const auto& [name, value] : report.capacity) {
    out["capacity"][name] = std::to_string(value);
  }
  for (const auto& [name, value] : report.allocatable) {
    out["allocatable"][name] = std::to_string(value);
  }
  const std::string stamp = kube::formatTimestamp(now);
  nlohmann::json conditions = nlohmann::json::array();
  nlohmann::json previous_ready;
  nlohmann::json previous_memory;
  if (out.contains("conditions") && out["conditions"].is_array()) {
    for (const auto& item : out["conditions"]) {
      const std::string type = item.value("type", "");
      if (type == kReadyCondition) {
        previous_ready = item;
      } else if (type == kMemoryPressureCondition) {
        previous_memory = item;
      } else {
        conditions.push_back(item);
      }
    }
  }
  conditions.push_back(condition(kReadyCondition, report.libvirt_ready, report.ready_reason,
                                 report.ready_message, stamp, previous_ready));
  conditions.push_back(condition(
      kMemoryPressureCondition, report.memory_pressure,
      report.memory_pressure ? "VirtletHasInsufficientMemory" : "VirtletHasSufficientMemory",
      report.memory_pressure ? "less than a tenth of the host memory is free"
                             : "virtlet has sufficient memory available",
      stamp, previous_memory));
  out["conditions"] = std::move(conditions);
  return out;
}

}  // namespace univirt::virtlet
