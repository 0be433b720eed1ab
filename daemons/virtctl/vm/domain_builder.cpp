#include "virtctl/vm/domain_builder.h"

#include <map>
#include <optional>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "virtctl/vm/device_xml.h"
#include "virtctl/vm/owner_metadata.h"
#include "virtctl/vm/virt_install_options.h"

namespace univirt::virtctl::vm {
namespace {

using util::Error;
using util::ErrorCode;

// Hands out target names per bus: vda, vdb, ... / sda, ... / hda, ...
class TargetNames {
 public:
  std::string next(const std::string& bus) {
    const std::string prefix = bus == "virtio" ? "vd" : bus == "ide" ? "hd" : "sd";
    for (;;) {
      const int index = next_[prefix]++;
      std::string name = prefix + static_cast<char>('a' + index);
      if (!used_.contains(name)) {
        used_[name] = true;
        return name;
      }
    }
  }
  bool reserve(const std::string& name) {
    if (used_.contains(name)) {
      return false;
    }
    used_[name] = true;
    return true;
  }

 private:
  std::map<std::string, int> next_;
  std::map<std::string, bool> used_;
};

util::Result<std::string> chooseVirtType(const lifecycle::Params& params,
                                         const BuildContext& context,
                                         std::vector<std::string>& notes) {
  std::string requested = params.string("virt_type", context.kvm_available ? "kvm" : "qemu");
  if (requested != "kvm") {
    return requested;
  }
  if (context.kvm_available) {
    return std::string("kvm");
  }
  if (!context.allow_qemu_fallback) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("virt_type 'kvm' was requested but node '{}' has no KVM (/dev/kvm "
                             "is missing); ask for virt_type 'qemu' or enable the qemu fallback "
                             "on this node",
                             context.node_name)};
  }
  notes.push_back(fmt::format(
      "node '{}' has no KVM, so the domain was defined as type 'qemu' (software emulation) "
      "instead of the requested 'kvm'",
      context.node_name));
  return std::string("qemu");
}

void appendOs(pugi::xml_node domain, const lifecycle::Params& params, const BuildContext& context,
              const std::vector<std::string>& boot_devices, std::optional<bool> menu) {
  pugi::xml_node os = domain.append_child("os");
  pugi::xml_node type = os.append_child("type");
  type.append_attribute("arch") = params.string("arch", context.default_arch).c_str();
  if (params.has("machine")) {
    type.append_attribute("machine") = params.string("machine").c_str();
  }
  type.text().set("hvm");
  for (const std::string& device : boot_devices) {
    os.append_child("boot").append_attribute("dev") = device.c_str();
  }
  if (menu) {
    os.append_child("bootmenu").append_attribute("enable") = *menu ? "yes" : "no";
  }
}

}  // namespace

util::Result<BuiltDomain> buildDomain(const lifecycle::Params& params,
                                      const BuildContext& context) {
  BuiltDomain built;
  auto virt_type = chooseVirtType(params, context, built.notes);
  if (!virt_type) {
    return virt_type.error();
  }
  built.virt_type = *virt_type;
  built.autostart = params.flag("autostart");

  auto memory = parseMemoryOption(params.string("memory"));
  if (!memory) {
    return memory.error();
  }
  auto vcpus = parseVcpuOption(params.string("vcpus", "1"));
  if (!vcpus) {
    return vcpus.error();
  }
  std::optional<CpuOption> cpu;
  if (params.has("cpu")) {
    auto parsed = parseCpuOption(params.string("cpu"));
    if (!parsed) {
      return parsed.error();
    }
    cpu = *parsed;
  }
  MetadataOption metadata;
  if (params.has("metadata")) {
    auto parsed = parseMetadataOption(params.string("metadata"));
    if (!parsed) {
      return parsed.error();
    }
    if (!parsed->name.empty() && parsed->name != context.name) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("metadata name '{}' differs from the VirtualMachine name '{}'; "
                               "the domain is always named after the VirtualMachine",
                               parsed->name, context.name)};
    }
    metadata = *parsed;
  }
  std::optional<DiskOption> disk;
  if (params.has("disk")) {
    auto parsed = parseDiskOption(params.string("disk"));
    if (!parsed) {
      return parsed.error();
    }
    if (!parsed->none) {
      disk = *parsed;
    }
  }
  if (context.from_image && (!disk || disk->device != "disk")) {
    return Error{ErrorCode::InvalidArgument,
                 "createAndStartVMFromImage needs 'disk' naming the image to boot from"};
  }
  std::optional<NetworkOption> network;
  if (params.has("network")) {
    auto parsed = parseNetworkOption(params.string("network"));
    if (!parsed) {
      return parsed.error();
    }
    if (!parsed->none) {
      network = *parsed;
    }
  }
  if (network && network->type == "l3bridge" && network->mac.empty()) {
    network->mac = randomMac();  // the OVN binding needs the MAC before libvirt sees the NIC
  }
  std::optional<GraphicsOption> graphics;
  if (params.has("graphics")) {
    auto parsed = parseGraphicsOption(params.string("graphics"));
    if (!parsed) {
      return parsed.error();
    }
    if (parsed->type != "none") {
      graphics = *parsed;
    }
  }
  const std::string cdrom = params.string("cdrom");
  std::vector<std::string> boot_devices;
  std::optional<bool> boot_menu;
  if (params.has("boot")) {
    auto parsed = parseBootOption(params.string("boot"));
    if (!parsed) {
      return parsed.error();
    }
    boot_devices = parsed->devices;
    boot_menu = parsed->menu;
  }
  if (boot_devices.empty()) {
    // A blank disk is not bootable, so the firmware falls through to the installer medium;
    // once installed, the disk boots first without changing the definition.
    if (disk) {
      boot_devices.emplace_back(disk->device == "cdrom" ? "cdrom" : "hd");
    }
    if (!cdrom.empty() && (!disk || disk->device != "cdrom")) {
      boot_devices.emplace_back("cdrom");
    }
    if (boot_devices.empty()) {
      boot_devices.emplace_back("hd");
    }
  }

  pugi::xml_document doc;
  pugi::xml_node domain = doc.append_child("domain");
  domain.append_attribute("type") = built.virt_type.c_str();
  domain.append_child("name").text().set(context.name.c_str());
  if (!metadata.uuid.empty()) {
    domain.append_child("uuid").text().set(metadata.uuid.c_str());
  }
  if (!metadata.title.empty()) {
    domain.append_child("title").text().set(metadata.title.c_str());
  }
  if (!metadata.description.empty()) {
    domain.append_child("description").text().set(metadata.description.c_str());
  }
  pugi::xml_document metadata_doc;
  const std::string metadata_xml = renderVmMetadata(
      {.owner_namespace = context.owner_namespace, .os_variant = params.string("os_variant")});
  metadata_doc.load_string(metadata_xml.c_str());
  domain.append_child("metadata").append_copy(metadata_doc.document_element());

  pugi::xml_node max_memory = domain.append_child("memory");
  max_memory.append_attribute("unit") = "MiB";
  max_memory.text().set(static_cast<unsigned long long>(memory->max_memory_mib));
  pugi::xml_node current_memory = domain.append_child("currentMemory");
  current_memory.append_attribute("unit") = "MiB";
  current_memory.text().set(static_cast<unsigned long long>(memory->memory_mib));
  pugi::xml_node vcpu = domain.append_child("vcpu");
  vcpu.append_attribute("placement") = "static";
  if (vcpus->vcpus != vcpus->max_vcpus) {
    vcpu.append_attribute("current") = vcpus->vcpus;
  }
  vcpu.text().set(vcpus->max_vcpus);

  appendOs(domain, params, context, boot_devices, boot_menu);
  pugi::xml_node features = domain.append_child("features");
  features.append_child("acpi");
  features.append_child("apic");
  if (cpu || vcpus->sockets != 0) {
    pugi::xml_node cpu_node = domain.append_child("cpu");
    if (cpu) {
      cpu_node.append_attribute("mode") = cpu->mode.c_str();
      if (cpu->mode == "custom") {
        cpu_node.append_attribute("match") = "exact";
        pugi::xml_node model = cpu_node.append_child("model");
        model.append_attribute("fallback") = "allow";
        model.text().set(cpu->model.c_str());
      }
    }
    if (vcpus->sockets != 0) {
      pugi::xml_node topology = cpu_node.append_child("topology");
      topology.append_attribute("sockets") = vcpus->sockets;
      topology.append_attribute("cores") = vcpus->cores;
      topology.append_attribute("threads") = vcpus->threads;
    }
  }
  domain.append_child("clock").append_attribute("offset") = "utc";
  domain.append_child("on_poweroff").text().set("destroy");
  domain.append_child("on_reboot").text().set("restart");
  domain.append_child("on_crash").text().set("destroy");

  pugi::xml_node devices = domain.append_child("devices");
  TargetNames targets;
  bool needs_scsi_controller = false;
  const bool q35 = params.string("machine").find("q35") != std::string::npos;
  if (disk) {
    DiskDevice device;
    device.device = disk->device;
    device.driver_type = disk->format;
    device.cache = disk->cache;
    device.source = disk->path;
    device.readonly = disk->readonly || disk->device == "cdrom";
    device.shareable = disk->shareable;
    device.bus = disk->bus.empty() ? (disk->device == "cdrom" ? (q35 ? "sata" : "ide") : "virtio")
                                   : disk->bus;
    if (!disk->target.empty()) {
      if (!targets.reserve(disk->target)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("disk target '{}' is used twice", disk->target)};
      }
      device.target = disk->target;
    } else {
      device.target = targets.next(device.bus);
    }
    needs_scsi_controller = device.bus == "scsi";
    appendDisk(devices, device);
    if (disk->device == "cdrom") {
      built.read_only_files.push_back(disk->path);
    } else if (context.from_image && disk->size_bytes) {
      return Error{ErrorCode::InvalidArgument,
                   "createAndStartVMFromImage boots an existing image; 'size' is only for new "
                   "disks"};
    } else {
      built.disk_files.push_back(
          {.path = disk->path, .format = disk->format, .size_bytes = disk->size_bytes.value_or(0)});
    }
  }
  if (!cdrom.empty()) {
    DiskDevice device;
    device.device = "cdrom";
    device.driver_type = "raw";
    device.source = cdrom;
    device.readonly = true;
    device.bus = q35 ? "sata" : "ide";
    device.target = targets.next(device.bus);
    appendDisk(devices, device);
    built.read_only_files.push_back(cdrom);
  }
  if (needs_scsi_controller) {
    pugi::xml_node controller = devices.append_child("controller");
    controller.append_attribute("type") = "scsi";
    controller.append_attribute("model") = "virtio-scsi";
  }
  if (network) {
    InterfaceDevice nic;
    nic.type = network->type;
    nic.source = network->source;
    nic.mac = network->mac;
    nic.model = network->model;
    nic.vlan = network->vlan;
    nic.inbound = network->inbound;
    nic.outbound = network->outbound;
    if (!nic.mac.empty() && nic.type != "user") {
      nic.target_dev = targetDevForMac(nic.mac);
    }
    appendInterface(devices, nic);
    if (nic.type == "l3bridge") {
      built.l3_nic = *network;
    }
  }
  // virt-install's defaults: a serial console, and the guest agent channel setGuestPassword
  // talks to.
  devices.append_child("serial").append_attribute("type") = "pty";
  devices.append_child("console").append_attribute("type") = "pty";
  pugi::xml_node channel = devices.append_child("channel");
  channel.append_attribute("type") = "unix";
  pugi::xml_node channel_target = channel.append_child("target");
  channel_target.append_attribute("type") = "virtio";
  channel_target.append_attribute("name") = "org.qemu.guest_agent.0";
  // Upstream sets a 5 s balloon statistics period (virsh dommemstat --period 5 --config
  // --live) so virtmonitor has fresh memory figures; in the definition it holds for every boot.
  pugi::xml_node balloon = devices.append_child("memballoon");
  balloon.append_attribute("model") = "virtio";
  balloon.append_child("stats").append_attribute("period") = 5;
  if (graphics) {
    pugi::xml_node node = devices.append_child("graphics");
    node.append_attribute("type") = graphics->type.c_str();
    const int port = graphics->port.value_or(-1);
    node.append_attribute("port") = port;
    node.append_attribute("autoport") = port == -1 ? "yes" : "no";
    if (!graphics->password.empty()) {
      node.append_attribute("passwd") = graphics->password.c_str();
    }
    if (!graphics->listen.empty()) {
      pugi::xml_node listen = node.append_child("listen");
      listen.append_attribute("type") = "address";
      listen.append_attribute("address") = graphics->listen.c_str();
    }
  }
  built.xml = renderNode(domain);
  return built;
}

}  // namespace univirt::virtctl::vm
