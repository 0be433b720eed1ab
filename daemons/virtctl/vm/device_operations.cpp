// plugDevice, unplugDevice (virsh attach-device/detach-device with a device XML file) and
// manageISO (virsh change-media).

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>

#include "virtctl/vm/device_xml.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/hotplug.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_rows.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {
namespace {

// A forced eject opens the tray asynchronously; libvirt can ask QEMU to remove the medium
// before the tray has moved ("Tray of device 'ide0-0-0' is not open"). Asked again once the
// tray has had time to open, QEMU removes it. One second was seen not to be enough once (CI,
// SeaBIOS guest): keep asking for up to five.
constexpr int kTrayAttempts = 25;
constexpr std::chrono::milliseconds kTrayRetryDelay{200};

bool trayNotOpenYet(const util::Error& error) {
  return error.message.find("is not open") != std::string::npos &&
         error.message.find("Tray") != std::string::npos;
}

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamType;
using util::Error;
using util::ErrorCode;

util::Result<Outcome> deviceFromFile(const VmOperationDeps& deps, const Invocation& invocation,
                                     DeviceChange change) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto xml = readTextFile(invocation.params.string("file"), "device XML file");
  if (!xml) {
    return xml.error();
  }
  auto note = changeDevice(*owned, invocation.params, change, *xml);
  if (!note) {
    return note.error();
  }
  if (change != DeviceChange::Detach) {
    return Outcome{.message = *note};
  }
  // Disks and NICs are recognisable in the live XML by target or MAC; other devices are not
  // checked.
  pugi::xml_document device;
  device.load_string(xml->c_str());
  const pugi::xml_node root = device.document_element();
  const std::string target = root.child("target").attribute("dev").value();
  const std::string mac = root.child("mac").attribute("address").value();
  const std::string kind = root.name();
  const std::string pending = detachPendingNote(*owned, [&](const std::string& live) {
    if (kind == "disk" && !target.empty()) {
      return !diskElementXml(live, target).empty();
    }
    if (kind == "interface" && !mac.empty()) {
      return !interfaceElementXml(live, mac).empty();
    }
    return false;
  });
  if (note->empty() || pending.empty()) {
    return Outcome{.message = *note + pending};
  }
  return Outcome{.message = *note + "; " + pending};
}

// What change-media does: exactly one of eject/insert/update, defaulting to update with a
// source and eject without.
enum class MediaAction { Eject, Insert, Update };

util::Result<MediaAction> mediaAction(const lifecycle::Params& params) {
  const int chosen = static_cast<int>(params.flag("eject")) +
                     static_cast<int>(params.flag("insert")) +
                     static_cast<int>(params.flag("update"));
  if (chosen > 1) {
    return Error{ErrorCode::InvalidArgument, "only one of 'eject', 'insert', 'update' may be set"};
  }
  const bool has_source = params.has("source");
  MediaAction action = has_source ? MediaAction::Update : MediaAction::Eject;
  if (params.flag("eject")) {
    action = MediaAction::Eject;
  } else if (params.flag("insert")) {
    action = MediaAction::Insert;
  } else if (params.flag("update")) {
    action = MediaAction::Update;
  }
  if (action == MediaAction::Eject && has_source) {
    return Error{ErrorCode::InvalidArgument, "'eject' takes no 'source'"};
  }
  if (action != MediaAction::Eject && !has_source) {
    return Error{ErrorCode::InvalidArgument, "'insert' and 'update' need 'source'"};
  }
  return action;
}

util::Result<Outcome> manageIso(const VmOperationDeps& deps, const Invocation& invocation) {
  const lifecycle::Params& params = invocation.params;
  auto action = mediaAction(params);
  if (!action) {
    return action.error();
  }
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto domain_xml = addressedXml(*owned, params);
  if (!domain_xml) {
    return domain_xml.error();
  }
  const std::string path = params.string("path");
  const std::string element = diskElementXml(*domain_xml, path);
  pugi::xml_document doc;
  if (element.empty() || !doc.load_string(element.c_str())) {
    return Error{ErrorCode::NotFound,
                 fmt::format("domain '{}' has no disk '{}'", invocation.name, path)};
  }
  pugi::xml_node disk = doc.document_element();
  const std::string device = disk.attribute("device").value();
  if (device != "cdrom" && device != "floppy") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("disk '{}' of domain '{}' is a {}, not a cdrom or floppy", path,
                             invocation.name, device)};
  }
  // An empty drive may still carry a <source/> without a file (libvirt keeps its index).
  const pugi::xml_node current = disk.child("source");
  const bool has_medium = current.attribute("file") || current.attribute("dev");
  if (*action == MediaAction::Insert && has_medium) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("disk '{}' already holds a medium; use 'update' or 'eject'", path)};
  }
  if (*action == MediaAction::Eject && !has_medium) {
    return Outcome{.message = fmt::format("disk '{}' was already empty", path)};
  }
  disk.remove_child("source");
  if (*action != MediaAction::Eject) {
    const bool block = params.flag("block");
    disk.attribute("type").set_value(block ? "block" : "file");
    pugi::xml_node source = disk.insert_child_after("source", disk.child("driver"));
    source.append_attribute(block ? "dev" : "file") = params.string("source").c_str();
  }
  const unsigned int force = params.flag("force") ? VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0;
  const std::string xml = renderNode(disk);
  auto note = changeDevice(*owned, params, DeviceChange::Update, xml, force);
  for (int attempt = 1;
       !note && force != 0 && attempt < kTrayAttempts && trayNotOpenYet(note.error()); ++attempt) {
    std::this_thread::sleep_for(kTrayRetryDelay);
    note = changeDevice(*owned, params, DeviceChange::Update, xml, force);
  }
  if (!note) {
    return note.error();
  }
  return Outcome{.message = *note};
}

}  // namespace

void addDeviceOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  auto file_params = [](const char* verb) {
    std::vector<lifecycle::ParamSpec> params = {
        domainParam(),
        {.name = "file",
         .type = ParamType::Path,
         .required = true,
         .help = fmt::format("device XML file to {}", verb)}};
    for (lifecycle::ParamSpec& flag : affectParams(true, false)) {
      params.push_back(std::move(flag));
    }
    return params;
  };
  table.add({.kind = kKind,
             .key = "plugDevice",
             .name_field = "domain",
             .params = file_params("attach"),
             .summary = "Attach a device from an XML file (virsh attach-device).",
             .handler =
                 [&deps](const Invocation& invocation) {
                   return deviceFromFile(deps, invocation, DeviceChange::Attach);
                 },
             .refresh = refresh,
             .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add({.kind = kKind,
             .key = "unplugDevice",
             .name_field = "domain",
             .params = file_params("detach"),
             .summary = "Detach the device an XML file describes (virsh detach-device).",
             .handler =
                 [&deps](const Invocation& invocation) {
                   return deviceFromFile(deps, invocation, DeviceChange::Detach);
                 },
             .refresh = refresh,
             .test_tier = lifecycle::TestTier::RealLibvirtd});
  std::vector<lifecycle::ParamSpec> media = {
      domainParam(),
      {.name = "path",
       .type = ParamType::String,
       .required = true,
       .help = "the cdrom or floppy: its target (hda) or its current file"},
      {.name = "source", .type = ParamType::Path, .help = "the new medium (ISO file)"},
      {.name = "eject", .type = ParamType::Boolean, .help = "remove the medium"},
      {.name = "insert", .type = ParamType::Boolean, .help = "insert into an empty drive"},
      {.name = "update",
       .type = ParamType::Boolean,
       .help = "replace the medium (the default with a source)"}};
  for (lifecycle::ParamSpec& flag : affectParams(false, false)) {
    media.push_back(std::move(flag));
  }
  media.push_back({.name = "force",
                   .type = ParamType::Boolean,
                   .help = "eject even if the guest locked the tray"});
  media.push_back({.name = "block",
                   .type = ParamType::Boolean,
                   .help = "the source is a block device, not a file"});
  table.add(
      {.kind = kKind,
       .key = "manageISO",
       .name_field = "domain",
       .params = std::move(media),
       .summary = "Insert, change or eject the medium of a cdrom or floppy (virsh "
                  "change-media).",
       .handler = [&deps](const Invocation& invocation) { return manageIso(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
}

}  // namespace univirt::virtctl::vm
