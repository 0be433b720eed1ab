// plugDisk, unplugDisk, plugNIC, unplugNIC (upstream virshplus plug_disk/plug_nic...): build
// the device XML, keep a copy in the device directory as upstream
// (<vm>-disk-<target>.xml, <vm>-nic-<mac>.xml), and attach or detach it.

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/util/log.h"
#include "virtctl/vm/device_xml.h"
#include "virtctl/vm/disk_links.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/hotplug.h"
#include "virtctl/vm/ovn_nics.h"
#include "virtctl/vm/virt_install_options.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_rows.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;
using util::Error;
using util::ErrorCode;

std::string diskFile(const VmNodeSettings& settings, const std::string& vm,
                     const std::string& target) {
  return fmt::format("{}/{}-disk-{}.xml", settings.device_dir, vm, target);
}

std::string nicFile(const VmNodeSettings& settings, const std::string& vm, std::string mac) {
  std::erase(mac, ':');
  return fmt::format("{}/{}-nic-{}.xml", settings.device_dir, vm, mac);
}

std::string joinNotes(const std::string& first, const std::string& second) {
  if (first.empty() || second.empty()) {
    return first + second;
  }
  return first + "; " + second;
}

void removeFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Upstream picks the first free vdb..vdz.
util::Result<std::string> freeTarget(const std::vector<DomainDisk>& disks) {
  for (char letter = 'b'; letter <= 'z'; ++letter) {
    std::string target = std::string("vd") + letter;
    if (findDisk(disks, target) == nullptr) {
      return target;
    }
  }
  return Error{ErrorCode::InvalidArgument, "the domain has no free disk target left (vdb..vdz)"};
}

util::Result<DiskDevice> diskFromParams(const lifecycle::Params& params,
                                        const std::vector<DomainDisk>& disks) {
  DiskDevice disk;
  disk.source = params.string("source");
  std::error_code ec;
  if (!std::filesystem::exists(disk.source, ec)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("disk file '{}' does not exist", disk.source)};
  }
  disk.type = std::filesystem::is_block_file(disk.source, ec) ? "block" : "file";
  disk.device = params.string("type", "disk");
  disk.driver_name = params.string("driver", "qemu");
  disk.driver_type = params.string("subdriver", "qcow2");
  if (params.has("target")) {
    disk.target = params.string("target");
    if (findDisk(disks, disk.target) != nullptr) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("the domain already has a disk '{}'", disk.target)};
    }
  } else {
    auto target = freeTarget(disks);
    if (!target) {
      return target.error();
    }
    disk.target = *target;
  }
  if (busForTarget(disk.target).empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("target '{}' does not start with vd, sd, hd or fd", disk.target)};
  }
  const std::string mode = params.string("mode");
  disk.readonly = mode == "readonly";
  disk.shareable = mode == "shareable";
  for (const char* name :
       {"read-bytes-sec", "write-bytes-sec", "read-iops-sec", "write-iops-sec"}) {
    if (params.has(name)) {
      std::string element = name;
      std::replace(element.begin(), element.end(), '-', '_');
      disk.iotune.emplace_back(element, static_cast<std::uint64_t>(params.integer(name)));
    }
  }
  return disk;
}

util::Result<Outcome> plugDisk(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto domain_xml = owned->domain.xml(0);
  if (!domain_xml) {
    return domain_xml.error();
  }
  auto disks = listDomainDisks(*domain_xml);
  if (!disks) {
    return disks.error();
  }
  auto disk = diskFromParams(invocation.params, *disks);
  if (!disk) {
    return disk.error();
  }
  const std::string xml = renderDisk(*disk);
  const std::string file = diskFile(deps.settings, invocation.name, disk->target);
  if (auto written = writeTextFile(file, xml); !written) {
    return written.error();
  }
  auto note = changeDevice(*owned, invocation.params, DeviceChange::Attach, xml);
  if (!note) {
    removeFile(file);
    return note.error();
  }
  recordDiskUser(deps.client, invocation.namespace_name, disk->source, invocation.name);
  std::string message = fmt::format("disk '{}' attached as '{}'", disk->source, disk->target);
  if (!note->empty()) {
    message += "; " + *note;
  }
  return Outcome{.message = message};
}

util::Result<Outcome> unplugDisk(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  const std::string target = invocation.params.string("target");
  auto domain_xml = addressedXml(*owned, invocation.params);
  if (!domain_xml) {
    return domain_xml.error();
  }
  const std::string xml = diskElementXml(*domain_xml, target);
  auto disks = listDomainDisks(*domain_xml);
  if (!disks) {
    return disks.error();
  }
  if (xml.empty()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("domain '{}' has no disk '{}'", invocation.name, target)};
  }
  auto note = changeDevice(*owned, invocation.params, DeviceChange::Detach, xml);
  if (!note) {
    return note.error();
  }
  removeFile(diskFile(deps.settings, invocation.name, target));
  if (const DomainDisk* detached = findDisk(*disks, target); detached != nullptr) {
    recordDiskUser(deps.client, invocation.namespace_name, detached->source, "");
  }
  const std::string pending = detachPendingNote(
      *owned, [&](const std::string& live) { return !diskElementXml(live, target).empty(); });
  return Outcome{.message = joinNotes(*note, pending)};
}

// plugNIC's `source` is either a bridge name or upstream's "source=br0[,mac=..,..]" whose
// pairs are merged into the parameters.
struct PlugNic {
  InterfaceDevice device;
  std::string switch_name;  // l3bridge
  std::string ip;           // l3bridge: fixed address or empty/"dynamic"
};

util::Result<PlugNic> nicFromParams(const lifecycle::Params& params) {
  PlugNic plug;
  InterfaceDevice& nic = plug.device;
  plug.switch_name = params.string("switch");
  plug.ip = params.string("ip");
  nic.type = params.string("type");
  nic.mac = params.string("mac");
  nic.vlan = params.has("vlan") ? std::to_string(params.integer("vlan")) : "";
  nic.inbound = params.has("inbound") ? std::to_string(params.integer("inbound")) : "";
  nic.outbound = params.has("outbound") ? std::to_string(params.integer("outbound")) : "";
  const std::string source = params.string("source");
  if (source.find('=') == std::string::npos) {
    nic.source = source;
  } else {
    for (const InstallOption& option : splitInstallOptions(source)) {
      if (option.key == "source") {
        nic.source = option.value;
      } else if (option.key == "mac") {
        nic.mac = option.value;
      } else if (option.key == "vlan") {
        nic.vlan = option.value;
      } else if (option.key == "inbound") {
        nic.inbound = option.value;
      } else if (option.key == "outbound") {
        nic.outbound = option.value;
      } else if (option.key == "type") {
        nic.type = option.value;
      } else if (option.key == "switch") {
        plug.switch_name = option.value;
      } else if (option.key == "ip") {
        plug.ip = option.value;
      } else {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("source option '{}' is not supported (supported: source, mac, "
                                 "vlan, inbound, outbound, switch, ip)",
                                 option.key)};
      }
    }
  }
  if (nic.type != "bridge" && nic.type != "l2bridge" && nic.type != "l3bridge" &&
      nic.type != "user") {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("NIC type '{}' is not one of bridge, l2bridge, l3bridge, user", nic.type)};
  }
  if (nic.type == "l3bridge") {
    if (auto valid = checkL3Nic(plug.switch_name, plug.ip); !valid) {
      return valid.error();
    }
  } else if (!plug.switch_name.empty() || !plug.ip.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("'switch' and 'ip' belong to NIC type l3bridge, not '{}'", nic.type)};
  }
  if (nic.type == "user" ? !nic.source.empty() : nic.source.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 nic.type == "user"
                     ? "NIC type 'user' takes no 'source'"
                     : "NIC types bridge, l2bridge and l3bridge need 'source' (the bridge)"};
  }
  if (nic.mac.empty()) {
    nic.mac = randomMac();
  }
  if (!isMacAddress(nic.mac)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("'{}' is not a MAC address like 52:54:00:12:34:56", nic.mac)};
  }
  if (nic.type != "user") {
    nic.target_dev = targetDevForMac(nic.mac);
  }
  return plug;
}

util::Result<Outcome> plugNic(const VmOperationDeps& deps, const Invocation& invocation) {
  if (invocation.params.string("type") == "l3bridge") {
    if (auto required = requireNorthbound(deps, "NIC type 'l3bridge'"); !required) {
      return required.error();
    }
  }
  auto plug = nicFromParams(invocation.params);
  if (!plug) {
    return plug.error();
  }
  const InterfaceDevice& nic = plug->device;
  const bool l3 = nic.type == "l3bridge";
  if (l3) {
    if (auto required = requireNorthbound(deps, "NIC type 'l3bridge'"); !required) {
      return required.error();
    }
    if (auto valid = checkL3Domain(invocation.name); !valid) {
      return valid.error();
    }
  }
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  const std::string xml = renderInterface(nic);
  const std::string file = nicFile(deps.settings, invocation.name, nic.mac);
  if (auto written = writeTextFile(file, xml); !written) {
    return written.error();
  }
  auto note = changeDevice(*owned, invocation.params, DeviceChange::Attach, xml);
  if (!note) {
    removeFile(file);
    return note.error();
  }
  std::string message = fmt::format("NIC '{}' attached", nic.mac);
  if (l3) {
    // Bound after libvirt plugged the NIC into OVS: the port is named after the interface's
    // iface-id that libvirt set.
    auto port = bindL3Nic(deps, invocation.name, plug->switch_name, plug->ip, nic.mac);
    if (!port) {
      static_cast<void>(changeDevice(*owned, invocation.params, DeviceChange::Detach, xml));
      removeFile(file);
      return port.error().withContext(
          fmt::format("binding NIC '{}' to logical switch '{}' (the NIC was detached again)",
                      nic.mac, plug->switch_name));
    }
    message +=
        fmt::format(" and bound to logical switch port '{}' on '{}'", *port, plug->switch_name);
  }
  if (!note->empty()) {
    message += "; " + *note;
  }
  return Outcome{.message = message};
}

util::Result<Outcome> unplugNic(const VmOperationDeps& deps, const Invocation& invocation) {
  const std::string mac = invocation.params.string("mac");
  if (!isMacAddress(mac)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("'{}' is not a MAC address like 52:54:00:12:34:56", mac)};
  }
  if (invocation.params.string("type") == "l3bridge") {
    if (auto required = requireNorthbound(deps, "NIC type 'l3bridge'"); !required) {
      return required.error();
    }
  }
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto domain_xml = addressedXml(*owned, invocation.params);
  if (!domain_xml) {
    return domain_xml.error();
  }
  const std::string xml = interfaceElementXml(*domain_xml, mac);
  if (xml.empty()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("domain '{}' has no NIC with MAC '{}'", invocation.name, mac)};
  }
  auto note = changeDevice(*owned, invocation.params, DeviceChange::Detach, xml);
  if (!note) {
    return note.error();
  }
  removeFile(nicFile(deps.settings, invocation.name, mac));
  std::string message = *note;
  // The type parameter is informational (upstream's examples repeat plugNIC's), so an OVS NIC
  // loses its binding whatever it says; only a request that says l3bridge fails when the
  // binding cannot be removed (on a node with OVS but no OVN that is every l2bridge NIC).
  const bool l3 = invocation.params.string("type") == "l3bridge";
  if (l3 || (!deps.ovn_northbound.empty() && hasOvsInterface(xml))) {
    auto unbound = unbindNic(deps, mac);
    if (!unbound && l3) {
      return unbound.error().withContext(fmt::format(
          "NIC '{}' was detached, but its OVN logical switch port was not removed", mac));
    }
    if (!unbound) {
      // Most likely a node with Open vSwitch but no OVN: nothing was bound there.
      log::warn("OVN binding of an unplugged NIC not checked",
                {{"domain", invocation.name}, {"mac", mac}, {"err", unbound.error().message}});
    } else if (*unbound > 0) {
      message = joinNotes(fmt::format("NIC '{}' unbound from OVN", mac), message);
    }
  }
  const std::string pending = detachPendingNote(
      *owned, [&](const std::string& live) { return !interfaceElementXml(live, mac).empty(); });
  return Outcome{.message = joinNotes(message, pending)};
}

std::vector<ParamSpec> withFlags(std::vector<ParamSpec> params) {
  for (ParamSpec& flag : affectParams(true, true)) {
    params.push_back(std::move(flag));
  }
  return params;
}

ParamSpec iotuneParam(const char* name, const char* what) {
  return {.name = name, .type = ParamType::Integer, .min = 0, .help = what};
}

}  // namespace

void addDiskNicOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  table.add(
      {.kind = kKind,
       .key = "plugDisk",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "source",
                             .type = ParamType::Path,
                             .required = true,
                             .help = "disk image file (or block device) to attach"},
                            {.name = "target",
                             .type = ParamType::String,
                             .help = "device name, e.g. vdb; default the first free "
                                     "vdb..vdz"},
                            {.name = "type",
                             .type = ParamType::String,
                             .allowed = {"disk", "cdrom", "floppy", "lun"},
                             .help = "device kind (default disk)"},
                            {.name = "driver",
                             .type = ParamType::String,
                             .allowed = {"qemu"},
                             .help = "driver name (default qemu)"},
                            {.name = "subdriver",
                             .type = ParamType::String,
                             .allowed = {"qcow2", "raw", "qed", "vmdk", "vdi", "vpc", "vhdx"},
                             .help = "image format (default qcow2)"},
                            {.name = "mode",
                             .type = ParamType::String,
                             .allowed = {"readonly", "shareable"},
                             .help = "access mode"},
                            iotuneParam("read-bytes-sec", "read limit in bytes/s"),
                            iotuneParam("write-bytes-sec", "write limit in bytes/s"),
                            iotuneParam("read-iops-sec", "read limit in I/O operations/s"),
                            iotuneParam("write-iops-sec", "write limit in I/O operations/s")}),
       .summary = "Attach a disk image to the domain (upstream plug_disk).",
       .handler = [&deps](const Invocation& invocation) { return plugDisk(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "unplugDisk",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "target",
                             .type = ParamType::String,
                             .required = true,
                             .help = "device name of the disk, e.g. vdb"},
                            // Upstream's VM-UnPlugDisk.json example repeats plugDisk's
                            // parameters; they are accepted and the disk is found by target.
                            {.name = "source",
                             .type = ParamType::String,
                             .help = "the disk file, as plugDisk got it (informational)"},
                            {.name = "subdriver",
                             .type = ParamType::String,
                             .help = "the image format, as plugDisk got it (informational)"}}),
       .summary = "Detach a disk from the domain (upstream unplug_disk).",
       .handler = [&deps](const Invocation& invocation) { return unplugDisk(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "plugNIC",
       .name_field = "domain",
       .params = withFlags(
           {domainParam(),
            {.name = "type",
             .type = ParamType::String,
             .required = true,
             .allowed = {"bridge", "l2bridge", "l3bridge", "user"},
             .help = "bridge (Linux bridge), l2bridge (Open vSwitch bridge), l3bridge (Open "
                     "vSwitch bridge, bound to an OVN logical switch port; needs virtctl "
                     "--ovn-nb), user (user-mode networking, no host bridge; univirt addition)"},
            {.name = "source",
             .type = ParamType::String,
             .help = "the bridge, or upstream's \"source=<bridge>[,mac=..]\"; required for "
                     "bridge, l2bridge and l3bridge"},
            {.name = "mac", .type = ParamType::String, .help = "MAC address; random if absent"},
            {.name = "vlan", .type = ParamType::Integer, .min = 0, .max = 4095, .help = "VLAN tag"},
            {.name = "inbound",
             .type = ParamType::Integer,
             .min = 1,
             .help = "inbound average bandwidth in KiB/s"},
            {.name = "outbound",
             .type = ParamType::Integer,
             .min = 1,
             .help = "outbound average bandwidth in KiB/s"},
            {.name = "switch",
             .type = ParamType::String,
             .help = "l3bridge: the OVN logical switch the NIC is bound to (required)"},
            {.name = "ip",
             .type = ParamType::String,
             .help = "l3bridge: a fixed address in the switch's subnet; default dynamic"}}),
       .summary = "Attach a network interface to the domain (upstream plug_nic).",
       .handler = [&deps](const Invocation& invocation) { return plugNic(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "unplugNIC",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "mac",
                             .type = ParamType::String,
                             .required = true,
                             .help = "MAC address of the NIC"},
                            {.name = "type",
                             .type = ParamType::String,
                             .allowed = {"bridge", "l2bridge", "l3bridge", "user"},
                             .help = "the NIC's type, as plugNIC got it; with OVN configured "
                                     "any NIC's binding is removed"},
                            // Upstream's VM-UnplugNIC.json example repeats plugNIC's parameters.
                            {.name = "source",
                             .type = ParamType::String,
                             .help = "the bridge, as plugNIC got it (informational)"},
                            {.name = "vlan",
                             .type = ParamType::Integer,
                             .min = 0,
                             .max = 4095,
                             .help = "the VLAN tag, as plugNIC got it (informational)"}}),
       .summary = "Detach a network interface from the domain (upstream unplug_nic).",
       .handler = [&deps](const Invocation& invocation) { return unplugNic(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
}

}  // namespace univirt::virtctl::vm
