#pragma once

// GPUs read from sysfs (crd-contract.md §5.3) instead of lspci text: every
// <sysfs-root>/bus/pci/devices/<address> whose class is a display controller (0x03xxxx) of a
// configured vendor, with its driver, kernel module and IOMMU group from the symlinks beside.

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::virtlet {

struct GpuDevice {
  std::string address = {};      // "0000:3b:00.0"
  std::string vendor = {};       // "0x10de"
  std::string device = {};       // "0x2684"
  std::string pci_class = {};    // "0x030000"
  std::string driver = {};       // "nvidia", "vfio-pci"; empty when unbound
  std::string module = {};       // the driver's module; empty when unknown
  std::string iommu_group = {};  // "12"; empty without an IOMMU
};

// NotFound when <sysfs_root>/bus/pci/devices does not exist; unreadable devices are skipped.
util::Result<std::vector<GpuDevice>> scanGpus(const std::string& sysfs_root,
                                              const std::set<std::string>& vendors);

// "0x10de,0x1002" -> {"0x10de", "0x1002"} (lower case).
std::set<std::string> parseVendors(const std::string& text);

// upstream's name: host-<node>-type-<type>-id-<PCI bus>, here with type = <vendor>-<device>
// and the whole address, so two GPUs on one bus get two objects.
std::string gpuObjectName(const std::string& node, const GpuDevice& gpu);

// .spec of the VirtualMachineGPU: gpu{id, type, kernelDriverInUse, kernelModules, useMode,
// inUse, vendor, device, class, iommuGroup, ...}, nodeName. `in_use` is a VM name or "free".
nlohmann::json gpuSpec(const GpuDevice& gpu, const std::string& node, const std::string& in_use);

}  // namespace univirt::virtlet
