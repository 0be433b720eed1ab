// setBootOrder, setVncPassword, unsetVncPassword, setGuestPassword, updateOS (upstream
// virshplus set_boot_order, set_vnc_password, ..., update-os).

#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>

#include "core/virt/virt_error.h"
#include "virtctl/vm/device_xml.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/hotplug.h"
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

// Rewrites the persistent definition: <os><boot dev> entries go, and each listed disk gets
// <boot order='n'/> in the order given (what upstream did with sed over `virsh dumpxml`).
util::Result<Outcome> setBootOrder(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  // SECURE: the redefinition must keep secrets such as the VNC password.
  auto xml = owned->domain.xml(VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  if (!xml) {
    return xml.error();
  }
  pugi::xml_document doc;
  if (!doc.load_string(xml->c_str())) {
    return Error{ErrorCode::Internal, "libvirt returned domain XML that does not parse"};
  }
  pugi::xml_node domain = doc.document_element();
  while (pugi::xml_node boot = domain.child("os").child("boot")) {
    domain.child("os").remove_child(boot);
  }
  pugi::xml_node devices = domain.child("devices");
  for (pugi::xml_node device : devices.children()) {
    device.remove_child("boot");
  }
  unsigned int order = 0;
  std::vector<std::string> listed;
  for (const InstallOption& option : splitInstallOptions(invocation.params.string("order"))) {
    if (option.has_value) {
      return Error{
          ErrorCode::InvalidArgument,
          fmt::format("order entry '{}={}' is not a device name", option.key, option.value)};
    }
    pugi::xml_node match;
    for (pugi::xml_node disk : devices.children("disk")) {
      if (option.key == disk.child("target").attribute("dev").value()) {
        match = disk;
      }
    }
    if (!match) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("domain '{}' has no disk named '{}'", invocation.name, option.key)};
    }
    if (std::find(listed.begin(), listed.end(), option.key) != listed.end()) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("disk '{}' is listed twice in 'order'", option.key)};
    }
    listed.push_back(option.key);
    match.append_child("boot").append_attribute("order") = ++order;
  }
  if (order == 0) {
    return Error{ErrorCode::InvalidArgument, "'order' lists no device (write e.g. \"vda,hda\")"};
  }
  auto defined = (*connect(deps))->defineDomain(renderNode(domain));
  if (!defined) {
    return defined.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  return Outcome{.message = *active ? "boot order changed; it takes effect at the next boot"
                                    : "boot order changed"};
}

util::Result<Outcome> changeVncPassword(const VmOperationDeps& deps, const Invocation& invocation,
                                        bool set) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto domain_xml = addressedXml(*owned, invocation.params);
  if (!domain_xml) {
    return domain_xml.error();
  }
  const std::string element = graphicsElementXml(*domain_xml, "vnc");
  pugi::xml_document doc;
  if (element.empty() || !doc.load_string(element.c_str())) {
    return Error{ErrorCode::NotFound,
                 fmt::format("domain '{}' has no VNC display", invocation.name)};
  }
  pugi::xml_node graphics = doc.document_element();
  graphics.remove_attribute("passwd");
  if (set) {
    graphics.append_attribute("passwd") = invocation.params.string("password").c_str();
  }
  const unsigned int force = invocation.params.flag("force") ? VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0;
  auto note =
      changeDevice(*owned, invocation.params, DeviceChange::Update, renderNode(graphics), force);
  if (!note) {
    // QEMU changes the password only of a display that started with one.
    return note.error().withContext(
        "changing the VNC password (a running display that started without a password cannot "
        "get one; use 'config' and restart the domain)");
  }
  return Outcome{.message = *note};
}

util::Result<Outcome> setGuestPassword(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  const std::string user = invocation.params.string("user");
  if (virDomainSetUserPassword(owned->domain.get(), user.c_str(),
                               invocation.params.string("password").c_str(), 0) < 0) {
    return virt::lastError(
        fmt::format("setting the password of user '{}' in domain '{}' "
                    "through the guest agent",
                    user, invocation.name));
  }
  return Outcome{};
}

util::Result<Outcome> updateOs(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  if (*active) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("domain '{}' is running; stop it before replacing its disk", invocation.name)};
  }
  auto xml = owned->domain.xml(VIR_DOMAIN_XML_INACTIVE);
  if (!xml) {
    return xml.error();
  }
  auto disks = listDomainDisks(*xml);
  if (!disks) {
    return disks.error();
  }
  const std::string source = invocation.params.string("source");
  const std::string target = invocation.params.string("target");
  const DomainDisk* disk = findDisk(*disks, source);
  if (disk == nullptr || disk->source != source || disk->type != "file") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("'{}' is not a disk file of domain '{}'", source, invocation.name)};
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(target, ec)) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("replacement image '{}' does not exist", target)};
  }
  // Copy beside the disk, then rename: the disk is either the old or the new image, never half.
  const std::string temp = source + ".univirt-update";
  std::filesystem::copy_file(target, temp, std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) {
    std::filesystem::rename(temp, source, ec);
  }
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return Error{ErrorCode::Internal,
                 fmt::format("copying '{}' over '{}': {}", target, source, ec.message())};
  }
  return Outcome{.message = fmt::format("disk '{}' replaced by a copy of '{}'", source, target)};
}

std::vector<ParamSpec> withFlags(std::vector<ParamSpec> params) {
  for (ParamSpec& flag : affectParams(true, false)) {
    params.push_back(std::move(flag));
  }
  params.push_back(
      {.name = "force", .type = ParamType::Boolean, .help = "force the device update"});
  return params;
}

}  // namespace

void addConfigOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  table.add(
      {.kind = kKind,
       .key = "setBootOrder",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "order",
                   .type = ParamType::String,
                   .required = true,
                   .help = "comma-separated disk targets in boot order, e.g. vda,hda"}},
       .summary = "Set the boot order of the domain's disks (definition; next boot).",
       .handler = [&deps](const Invocation& invocation) { return setBootOrder(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "setVncPassword",
             .name_field = "domain",
             .params = withFlags({domainParam(),
                                  {.name = "password",
                                   .type = ParamType::String,
                                   .required = true,
                                   .help = "the new VNC password"}}),
             .summary = "Set the password of the domain's VNC display.",
             .handler =
                 [&deps](const Invocation& invocation) {
                   return changeVncPassword(deps, invocation, true);
                 },
             .refresh = refresh,
             .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add({.kind = kKind,
             .key = "unsetVncPassword",
             .name_field = "domain",
             .params = withFlags({domainParam()}),
             .summary = "Remove the password of the domain's VNC display.",
             .handler =
                 [&deps](const Invocation& invocation) {
                   return changeVncPassword(deps, invocation, false);
                 },
             .refresh = refresh,
             .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "setGuestPassword",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "os_type",
                   .type = ParamType::String,
                   .required = true,
                   .allowed = {"linux", "windows"},
                   .help = "guest OS family; both go through the QEMU guest agent"},
                  {.name = "user",
                   .type = ParamType::String,
                   .required = true,
                   .help = "guest user account"},
                  {.name = "password",
                   .type = ParamType::String,
                   .required = true,
                   .help = "the new password"}},
       .summary = "Set a guest user's password through the QEMU guest agent.",
       .handler =
           [&deps](const Invocation& invocation) { return setGuestPassword(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "updateOS",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "source",
                   .type = ParamType::Path,
                   .required = true,
                   .help = "the domain's disk file to replace"},
                  {.name = "target",
                   .type = ParamType::Path,
                   .required = true,
                   .help = "image file copied over it"}},
       .summary = "Replace a shut-off domain's disk with a copy of another image.",
       .handler = [&deps](const Invocation& invocation) { return updateOs(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
}

}  // namespace univirt::virtctl::vm
