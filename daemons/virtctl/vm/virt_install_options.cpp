#include "virtctl/vm/virt_install_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "virtctl/vm/ovn_nics.h"

namespace univirt::virtctl::vm {
namespace {

using util::Error;
using util::ErrorCode;

Error unsupportedKey(std::string_view option, std::string_view key,
                     std::initializer_list<std::string_view> supported) {
  return Error{ErrorCode::InvalidArgument,
               fmt::format("{} option '{}' is not supported by univirt (supported: {})", option,
                           key, fmt::join(supported, ", "))};
}

bool contains(std::initializer_list<std::string_view> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

util::Result<unsigned int> parseCount(std::string_view option, std::string_view key,
                                      std::string_view text, std::uint64_t max) {
  const auto value = parseUnsigned(text);
  if (!value || *value == 0 || *value > max) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} option '{}' must be a whole number from 1 to {}, not '{}'", option,
                             key, max, text)};
  }
  return static_cast<unsigned int>(*value);
}

bool isOnOff(std::string_view text) {
  return text == "on" || text == "off" || text == "yes" || text == "no";
}

// virt-install's size= is in GiB and may have a fraction ("0.5").
std::optional<std::uint64_t> parseGib(std::string_view text) {
  double gib = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), gib);
  if (ec != std::errc() || end != text.data() + text.size() || !(gib > 0) || gib > 1 << 20) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::llround(gib * 1024.0 * 1024.0 * 1024.0));
}

}  // namespace

std::vector<InstallOption> splitInstallOptions(std::string_view text) {
  std::vector<InstallOption> options;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      comma = text.size();
    }
    std::string_view part = text.substr(start, comma - start);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())) != 0) {
      part.remove_prefix(1);
    }
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back())) != 0) {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      const std::size_t equals = part.find('=');
      if (equals == std::string_view::npos) {
        options.push_back({std::string(part), {}, false});
      } else {
        options.push_back(
            {std::string(part.substr(0, equals)), std::string(part.substr(equals + 1)), true});
      }
    }
    start = comma + 1;
  }
  return options;
}

util::Result<DiskOption> parseDiskOption(std::string_view text) {
  const std::initializer_list<std::string_view> keys = {
      "path", "format", "bus", "size", "device", "cache", "target", "readonly", "shareable"};
  DiskOption disk;
  const auto options = splitInstallOptions(text);
  if (options.size() == 1 && !options[0].has_value && options[0].key == "none") {
    disk.none = true;
    return disk;
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    const InstallOption& option = options[i];
    if (!option.has_value) {
      if (i == 0 && option.key.starts_with('/')) {
        disk.path = option.key;
      } else if (option.key == "readonly" || option.key == "shareable") {
        (option.key == "readonly" ? disk.readonly : disk.shareable) = true;
      } else {
        return unsupportedKey("disk", option.key, keys);
      }
      continue;
    }
    const std::string& key = option.key;
    const std::string& value = option.value;
    if (key == "path") {
      disk.path = value;
    } else if (key == "format") {
      if (!contains({"raw", "qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx"}, value)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk format '{}' is not one of raw, qcow2, qed, vmdk, vdi, "
                                 "vpc, vhdx",
                                 value)};
      }
      disk.format = value;
    } else if (key == "bus") {
      if (!contains({"virtio", "scsi", "sata", "ide", "usb"}, value)) {
        return Error{
            ErrorCode::InvalidArgument,
            fmt::format("disk bus '{}' is not one of virtio, scsi, sata, ide, usb", value)};
      }
      disk.bus = value;
    } else if (key == "size") {
      disk.size_bytes = parseGib(value);
      if (!disk.size_bytes) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk size '{}' is not a positive number of GiB", value)};
      }
    } else if (key == "device") {
      if (value != "disk" && value != "cdrom") {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk device '{}' is not one of disk, cdrom", value)};
      }
      disk.device = value;
    } else if (key == "cache") {
      if (!contains({"none", "writeback", "writethrough", "directsync", "unsafe", "default"},
                    value)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk cache '{}' is not one of none, writeback, writethrough, "
                                 "directsync, unsafe, default",
                                 value)};
      }
      disk.cache = value;
    } else if (key == "target") {
      disk.target = value;
    } else if (key == "readonly" || key == "shareable") {
      if (!isOnOff(value)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk option '{}' must be on or off, not '{}'", key, value)};
      }
      (key == "readonly" ? disk.readonly : disk.shareable) = value == "on" || value == "yes";
    } else {
      return unsupportedKey("disk", key, keys);
    }
  }
  if (disk.path.empty() || !disk.path.starts_with('/')) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("disk '{}' names no absolute path (write 'path=/dir/disk.qcow2' or "
                             "start with the path)",
                             text)};
  }
  if (disk.format.empty()) {
    disk.format = disk.path.ends_with(".qcow2") ? "qcow2" : "raw";
  }
  return disk;
}

bool isMacAddress(std::string_view text) {
  if (text.size() != 17) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator = i % 3 == 2;
    if (separator ? text[i] != ':' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
      return false;
    }
  }
  return true;
}

util::Result<NetworkOption> parseNetworkOption(std::string_view text) {
  const std::initializer_list<std::string_view> keys = {
      "type", "source", "mac", "model", "vlan", "inbound", "outbound", "switch", "ip"};
  NetworkOption network;
  const auto options = splitInstallOptions(text);
  if (options.size() == 1 && !options[0].has_value && options[0].key == "none") {
    network.none = true;
    return network;
  }
  for (const InstallOption& option : options) {
    if (!option.has_value) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("network option '{}' has no value (write "
                               "'type=bridge,source=br0' or 'none')",
                               option.key)};
    }
    if (option.key == "type") {
      network.type = option.value;
    } else if (option.key == "source") {
      network.source = option.value;
    } else if (option.key == "mac") {
      network.mac = option.value;
    } else if (option.key == "model") {
      network.model = option.value;
    } else if (option.key == "vlan") {
      network.vlan = option.value;
    } else if (option.key == "inbound") {
      network.inbound = option.value;
    } else if (option.key == "outbound") {
      network.outbound = option.value;
    } else if (option.key == "switch") {
      network.switch_name = option.value;
    } else if (option.key == "ip") {
      network.ip = option.value;
    } else {
      return unsupportedKey("network", option.key, keys);
    }
  }
  if (network.type == "l3bridge") {
    if (auto valid = checkL3Nic(network.switch_name, network.ip); !valid) {
      return valid.error();
    }
  } else if (!network.switch_name.empty() || !network.ip.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("network options 'switch' and 'ip' belong to type l3bridge, not "
                             "'{}'",
                             network.type)};
  }
  if (!contains({"bridge", "l2bridge", "l3bridge", "user"}, network.type)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("network type '{}' is not one of bridge, l2bridge, l3bridge, user",
                             network.type)};
  }
  if (network.type != "user" && network.source.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("network type '{}' needs 'source=<bridge>'", network.type)};
  }
  if (network.type == "user" && !network.source.empty()) {
    return Error{ErrorCode::InvalidArgument, "network type 'user' takes no 'source'"};
  }
  if (!network.mac.empty() && !isMacAddress(network.mac)) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("network mac '{}' is not a MAC address like 52:54:00:12:34:56", network.mac)};
  }
  for (const auto& [name, value] :
       {std::pair<std::string_view, const std::string&>{"vlan", network.vlan},
        {"inbound", network.inbound},
        {"outbound", network.outbound}}) {
    if (!value.empty() && !parseUnsigned(value)) {
      return Error{
          ErrorCode::InvalidArgument,
          fmt::format("network option '{}' must be a whole number, not '{}'", name, value)};
    }
  }
  return network;
}

util::Result<GraphicsOption> parseGraphicsOption(std::string_view text) {
  const std::initializer_list<std::string_view> keys = {"type", "listen", "port", "password"};
  GraphicsOption graphics;
  const auto options = splitInstallOptions(text);
  for (std::size_t i = 0; i < options.size(); ++i) {
    const InstallOption& option = options[i];
    if (!option.has_value) {
      if (i != 0) {
        return unsupportedKey("graphics", option.key, keys);
      }
      graphics.type = option.key;
      continue;
    }
    if (option.key == "type") {
      graphics.type = option.value;
    } else if (option.key == "listen") {
      graphics.listen = option.value;
    } else if (option.key == "port") {
      int port = 0;
      const auto [end, ec] =
          std::from_chars(option.value.data(), option.value.data() + option.value.size(), port);
      if (ec != std::errc() || end != option.value.data() + option.value.size() ||
          (port != -1 && (port < 5900 || port > 65535))) {
        return Error{
            ErrorCode::InvalidArgument,
            fmt::format("graphics port '{}' is not -1 (automatic) or 5900-65535", option.value)};
      }
      graphics.port = port;
    } else if (option.key == "password" || option.key == "passwd") {
      graphics.password = option.value;
    } else {
      return unsupportedKey("graphics", option.key, keys);
    }
  }
  if (!contains({"vnc", "spice", "none"}, graphics.type)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("graphics type '{}' is not one of vnc, spice, none", graphics.type)};
  }
  return graphics;
}

util::Result<MemoryOption> parseMemoryOption(std::string_view text) {
  constexpr std::uint64_t kMaxMib = std::uint64_t{16} << 20;  // 16 TiB
  MemoryOption memory;
  for (const InstallOption& option : splitInstallOptions(text)) {
    const std::string_view key = option.has_value ? std::string_view(option.key) : "memory";
    const std::string_view value = option.has_value ? option.value : option.key;
    if (key != "memory" && key != "maxmemory") {
      return unsupportedKey("memory", key, {"memory", "maxmemory"});
    }
    const auto mib = parseUnsigned(value);
    if (!mib || *mib == 0 || *mib > kMaxMib) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("memory '{}' is not a positive number of MiB", value)};
    }
    (key == "memory" ? memory.memory_mib : memory.max_memory_mib) = *mib;
  }
  if (memory.memory_mib == 0) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("memory '{}' gives no size in MiB (write '1024')", text)};
  }
  if (memory.max_memory_mib == 0) {
    memory.max_memory_mib = memory.memory_mib;
  }
  if (memory.max_memory_mib < memory.memory_mib) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("maxmemory {} MiB is less than memory {} MiB", memory.max_memory_mib,
                             memory.memory_mib)};
  }
  return memory;
}

util::Result<VcpuOption> parseVcpuOption(std::string_view text) {
  constexpr std::uint64_t kMaxVcpus = 4096;
  VcpuOption vcpu;
  unsigned int given_vcpus = 0;
  unsigned int given_max = 0;
  for (const InstallOption& option : splitInstallOptions(text)) {
    const std::string_view key = option.has_value ? std::string_view(option.key) : "vcpus";
    const std::string_view value = option.has_value ? option.value : option.key;
    if (!contains({"vcpus", "maxvcpus", "sockets", "cores", "threads"}, key)) {
      return unsupportedKey("vcpus", key, {"vcpus", "maxvcpus", "sockets", "cores", "threads"});
    }
    auto count = parseCount("vcpus", key, value, kMaxVcpus);
    if (!count) {
      return count.error();
    }
    if (key == "vcpus") {
      given_vcpus = *count;
    } else if (key == "maxvcpus") {
      given_max = *count;
    } else if (key == "sockets") {
      vcpu.sockets = *count;
    } else if (key == "cores") {
      vcpu.cores = *count;
    } else {
      vcpu.threads = *count;
    }
  }
  const bool topology = vcpu.sockets != 0 || vcpu.cores != 0 || vcpu.threads != 0;
  if (topology) {
    vcpu.sockets = std::max(vcpu.sockets, 1U);
    vcpu.cores = std::max(vcpu.cores, 1U);
    vcpu.threads = std::max(vcpu.threads, 1U);
  }
  const unsigned int topology_total = topology ? vcpu.sockets * vcpu.cores * vcpu.threads : 0;
  vcpu.max_vcpus = given_max != 0 ? given_max
                   : topology     ? topology_total
                                  : std::max(given_vcpus, 1U);
  vcpu.vcpus = given_vcpus != 0 ? given_vcpus : vcpu.max_vcpus;
  if (vcpu.vcpus > vcpu.max_vcpus) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("vcpus {} is more than maxvcpus {}", vcpu.vcpus, vcpu.max_vcpus)};
  }
  if (topology && topology_total != vcpu.max_vcpus) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("sockets*cores*threads = {} does not match maxvcpus {}",
                             topology_total, vcpu.max_vcpus)};
  }
  return vcpu;
}

util::Result<CpuOption> parseCpuOption(std::string_view text) {
  const auto options = splitInstallOptions(text);
  if (options.size() != 1 || options[0].has_value) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("cpu '{}' is not supported: univirt accepts one of "
                             "host-passthrough, host-model, host or a CPU model name, without "
                             "sub-options",
                             text)};
  }
  const std::string& name = options[0].key;
  if (name == "host-passthrough") {
    return CpuOption{.mode = "host-passthrough", .model = {}};
  }
  if (name == "host-model" || name == "host") {
    return CpuOption{.mode = "host-model", .model = {}};
  }
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
  if (!plain) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("cpu model '{}' is not a CPU model name", name)};
  }
  return CpuOption{.mode = "custom", .model = name};
}

util::Result<BootOption> parseBootOption(std::string_view text) {
  BootOption boot;
  for (const InstallOption& option : splitInstallOptions(text)) {
    if (!option.has_value) {
      if (!contains({"hd", "cdrom", "network", "fd"}, option.key)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("boot option '{}' is not supported by univirt (supported: hd, "
                                 "cdrom, network, fd, menu=on|off)",
                                 option.key)};
      }
      boot.devices.push_back(option.key);
    } else if (option.key == "menu" && isOnOff(option.value)) {
      boot.menu = option.value == "on" || option.value == "yes";
    } else {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("boot option '{}={}' is not supported by univirt (supported: hd, "
                               "cdrom, network, fd, menu=on|off)",
                               option.key, option.value)};
    }
  }
  return boot;
}

util::Result<MetadataOption> parseMetadataOption(std::string_view text) {
  const std::initializer_list<std::string_view> keys = {"name", "uuid", "title", "description"};
  MetadataOption metadata;
  for (const InstallOption& option : splitInstallOptions(text)) {
    if (!option.has_value) {
      return unsupportedKey("metadata", option.key, keys);
    }
    if (option.key == "name") {
      metadata.name = option.value;
    } else if (option.key == "uuid") {
      metadata.uuid = option.value;
    } else if (option.key == "title") {
      metadata.title = option.value;
    } else if (option.key == "description") {
      metadata.description = option.value;
    } else {
      return unsupportedKey("metadata", option.key, keys);
    }
  }
  return metadata;
}

}  // namespace univirt::virtctl::vm
