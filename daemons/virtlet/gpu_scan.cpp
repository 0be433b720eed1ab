#include "virtlet/gpu_scan.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace univirt::virtlet {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string readAttribute(const fs::path& path) {
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())) != 0) {
    value.pop_back();
  }
  return lower(value);
}

std::string linkName(const fs::path& link) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  return ec ? std::string() : target.filename().string();
}

std::string orUnknown(const std::string& value) { return value.empty() ? "unknown" : value; }

}  // namespace

util::Result<std::vector<GpuDevice>> scanGpus(const std::string& sysfs_root,
                                              const std::set<std::string>& vendors) {
  const fs::path devices = fs::path(sysfs_root) / "bus/pci/devices";
  std::error_code ec;
  fs::directory_iterator it(devices, ec);
  if (ec) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("cannot read PCI devices under '{}': {}; set --sysfs-root to "
                                   "where sysfs is mounted",
                                   devices.string(), ec.message())};
  }
  std::vector<GpuDevice> gpus;
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      break;
    }
    const fs::path dir = it->path();
    GpuDevice gpu;
    gpu.address = lower(dir.filename().string());
    gpu.vendor = readAttribute(dir / "vendor");
    gpu.pci_class = readAttribute(dir / "class");
    if (vendors.count(gpu.vendor) == 0 || !gpu.pci_class.starts_with("0x03")) {
      continue;
    }
    gpu.device = readAttribute(dir / "device");
    gpu.driver = linkName(dir / "driver");
    gpu.module = linkName(dir / "driver/module");
    gpu.iommu_group = linkName(dir / "iommu_group");
    gpus.push_back(std::move(gpu));
  }
  std::sort(gpus.begin(), gpus.end(),
            [](const GpuDevice& a, const GpuDevice& b) { return a.address < b.address; });
  return gpus;
}

std::set<std::string> parseVendors(const std::string& text) {
  std::set<std::string> vendors;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string vendor = lower(text.substr(start, comma - start));
    vendor.erase(std::remove_if(vendor.begin(), vendor.end(),
                                [](unsigned char c) { return std::isspace(c) != 0; }),
                 vendor.end());
    if (!vendor.empty()) {
      vendors.insert(vendor.starts_with("0x") ? vendor : "0x" + vendor);
    }
    start = comma + 1;
  }
  return vendors;
}

std::string gpuObjectName(const std::string& node, const GpuDevice& gpu) {
  std::string name =
      fmt::format("host-{}-type-{}-{}-id-{}", node, gpu.vendor.substr(2),
                  gpu.device.size() > 2 ? gpu.device.substr(2) : "unknown", gpu.address);
  std::replace_if(
      name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) == 0 && c != '-'; },
      '-');
  return lower(name);
}

nlohmann::json gpuSpec(const GpuDevice& gpu, const std::string& node, const std::string& in_use) {
  // upstream's id is lspci's BB:DD.F, without the PCI domain.
  const std::string id =
      gpu.address.size() > 5 && gpu.address[4] == ':' ? gpu.address.substr(5) : gpu.address;
  return {{"gpu",
           {{"id", id},
            {"address", gpu.address},
            {"type", fmt::format("{}:{}", gpu.vendor.substr(2),
                                 gpu.device.size() > 2 ? gpu.device.substr(2) : "unknown")},
            {"vendor", gpu.vendor},
            {"device", orUnknown(gpu.device)},
            {"class", gpu.pci_class},
            {"iommuGroup", orUnknown(gpu.iommu_group)},
            {"subsystem", "unknown"},
            {"flags", "unknown"},
            {"capabilities", "unknown"},
            {"kernelDriverInUse", orUnknown(gpu.driver)},
            {"kernelModules", orUnknown(gpu.module.empty() ? gpu.driver : gpu.module)},
            {"useMode", gpu.driver == "vfio-pci" ? "passthrough" : "share"},
            {"inUse", in_use}}},
          {"nodeName", node}};
}

}  // namespace univirt::virtlet
