// createAndStartVMFromISO, createAndStartVMFromImage and createVM (crd-contract.md §3.1):
// virt-install and virsh create, done as domain XML + libvirt calls. The domain records the
// creating namespace (owner_metadata.h); a domain of the same name owned elsewhere is refused.

#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>

#include "core/util/exec.h"
#include "core/virt/virt_error.h"
#include "virtctl/vm/disk_links.h"
#include "virtctl/vm/domain_builder.h"
#include "virtctl/vm/ovn_nics.h"
#include "virtctl/vm/owner_metadata.h"
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
using lifecycle::ValidationContext;
using util::Error;
using util::ErrorCode;

// AlreadyExists for our own domain, PermissionDenied for another namespace's.
util::Status checkNameFree(const virt::Connection& connection, const VmOperationDeps& deps,
                           const Invocation& invocation) {
  auto existing = connection.lookupDomain(invocation.name);
  if (!existing) {
    return existing.error().code == ErrorCode::NotFound ? util::ok()
                                                        : util::Status(existing.error());
  }
  if (auto owned = checkOwner(*existing, deps.settings, invocation.namespace_name); !owned) {
    return owned.error();
  }
  return Error{ErrorCode::AlreadyExists,
               fmt::format("domain '{}' already exists on node '{}'; delete it first or use "
                           "startVM",
                           invocation.name, deps.settings.node_name)};
}

// Creates the missing disk files; returns the ones it created (for rollback).
util::Result<std::vector<std::string>> prepareDiskFiles(const BuiltDomain& built,
                                                        const VmNodeSettings& settings) {
  for (const std::string& path : built.read_only_files) {
    if (!std::filesystem::exists(path)) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("installation image '{}' does not exist", path)};
    }
  }
  std::vector<std::string> created;
  for (const DiskFile& disk : built.disk_files) {
    if (std::filesystem::exists(disk.path)) {
      continue;
    }
    if (disk.size_bytes == 0) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("disk '{}' does not exist; give 'size=<GiB>' in the disk option to "
                               "create it",
                               disk.path)};
    }
    const std::vector<std::string> argv = {settings.qemu_img,
                                           "create",
                                           "-q",
                                           "-f",
                                           disk.format,
                                           disk.path,
                                           std::to_string(disk.size_bytes)};
    auto run = util::runProgram(argv);
    util::Status status = run ? util::checkSucceeded(argv, *run) : util::Status(run.error());
    if (!status) {
      for (const std::string& path : created) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
      return status.error().withContext(fmt::format("creating disk '{}'", disk.path));
    }
    created.push_back(disk.path);
  }
  return created;
}

void removeFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

util::Result<Outcome> createAndStart(const VmOperationDeps& deps, const Invocation& invocation,
                                     bool from_image) {
  auto connection = connect(deps);
  if (!connection) {
    return connection.error();
  }
  if (auto free = checkNameFree(**connection, deps, invocation); !free) {
    return free.error();
  }
  auto built =
      buildDomain(invocation.params, {.name = invocation.name,
                                      .owner_namespace = invocation.namespace_name,
                                      .kvm_available = deps.settings.kvm_available,
                                      .allow_qemu_fallback = deps.settings.allow_qemu_fallback,
                                      .node_name = deps.settings.node_name,
                                      .from_image = from_image});
  if (!built) {
    return built.error();
  }
  if (built->l3_nic) {
    if (auto required = requireNorthbound(deps, "network type 'l3bridge'"); !required) {
      return required.error();
    }
    if (auto valid = checkL3Domain(invocation.name); !valid) {
      return valid.error();
    }
  }
  auto created = prepareDiskFiles(*built, deps.settings);
  if (!created) {
    return created.error();
  }
  auto domain = (*connection)->defineDomain(built->xml);
  if (!domain) {
    removeFiles(*created);
    return domain.error();
  }
  if (built->autostart && virDomainSetAutostart(domain->get(), 1) < 0) {
    Error error = virt::lastError(fmt::format("marking domain '{}' autostart", invocation.name));
    static_cast<void>(domain->undefine(0));
    removeFiles(*created);
    return error;
  }
  if (auto started = domain->start(0); !started) {
    // As upstream: a domain that did not start is not left behind half-made.
    static_cast<void>(domain->undefine(0));
    removeFiles(*created);
    return started.error();
  }
  std::vector<std::string> notes = built->notes;
  if (built->l3_nic) {
    const NetworkOption& nic = *built->l3_nic;
    auto port = bindL3Nic(deps, invocation.name, nic.switch_name, nic.ip, nic.mac);
    if (!port) {
      // Nothing half-made: a VM whose NIC is not on its switch is removed again, as one that
      // did not start.
      static_cast<void>(domain->destroy());
      static_cast<void>(domain->undefine(0));
      removeFiles(*created);
      return port.error().withContext(
          fmt::format("binding NIC '{}' to logical switch '{}' (the domain was removed again)",
                      nic.mac, nic.switch_name));
    }
    notes.push_back(fmt::format("NIC '{}' bound to logical switch port '{}' on '{}'", nic.mac,
                                *port, nic.switch_name));
  }
  for (const DiskFile& disk : built->disk_files) {
    recordDiskUser(deps.client, invocation.namespace_name, disk.path, invocation.name);
  }
  for (const std::string& path : *created) {
    notes.push_back(fmt::format("created disk '{}'", path));
  }
  return Outcome{.message = fmt::format("{}", fmt::join(notes, "; "))};
}

// createVM: a transient domain from a domain XML file (virsh create).
util::Result<Outcome> createVm(const VmOperationDeps& deps, const Invocation& invocation) {
  const std::string file = invocation.params.string("file");
  auto xml = readTextFile(file, "domain XML file");
  if (!xml) {
    return xml.error();
  }
  pugi::xml_document doc;
  if (!doc.load_string(xml->c_str()) ||
      std::string_view(doc.document_element().name()) != "domain") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("file '{}' does not hold a <domain> XML document", file)};
  }
  const std::string name = doc.document_element().child("name").text().as_string();
  if (name != invocation.name) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("file '{}' defines domain '{}', but the VirtualMachine is named "
                             "'{}'; the names must match",
                             file, name, invocation.name)};
  }
  auto owned_xml =
      withVmMetadata(*xml, {.owner_namespace = invocation.namespace_name, .os_variant = {}});
  if (!owned_xml) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("file '{}' does not hold a <domain> XML document", file)};
  }
  auto connection = connect(deps);
  if (!connection) {
    return connection.error();
  }
  if (auto free = checkNameFree(**connection, deps, invocation); !free) {
    return free.error();
  }
  unsigned int flags = 0;
  if (invocation.params.flag("paused")) {
    flags |= VIR_DOMAIN_START_PAUSED;
  }
  if (invocation.params.flag("validate")) {
    flags |= VIR_DOMAIN_START_VALIDATE;
  }
  virt::DomainHandle domain(virDomainCreateXML((*connection)->get(), owned_xml->c_str(), flags));
  if (!domain) {
    return virt::lastError(fmt::format("creating domain '{}' from '{}'", invocation.name, file));
  }
  return Outcome{};
}

std::string textOf(const lifecycle::ParamValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    return *text;
  }
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    return std::to_string(*number);
  }
  return std::get<bool>(value) ? "true" : "false";
}

// A validator that runs one of the virt-install option parsers.
template <typename Parsed>
lifecycle::ParamValidator parsedBy(util::Result<Parsed> (*parse)(std::string_view)) {
  return [parse](const lifecycle::ParamValue& value, const ValidationContext&) -> util::Status {
    auto parsed = parse(textOf(value));
    if (!parsed) {
      return parsed.error();
    }
    return util::ok();
  };
}

util::Status checkDisk(const lifecycle::ParamValue& value, const ValidationContext& context) {
  auto disk = parseDiskOption(textOf(value));
  if (!disk) {
    return disk.error();
  }
  return disk->none ? util::ok() : checkPathUnderRoots(disk->path, context);
}

const char* const kNotImplemented = "this virt-install option is not implemented by univirt";

std::vector<ParamSpec> installParams(bool from_image) {
  std::vector<ParamSpec> params = {
      {.name = "name",
       .type = ParamType::String,
       .required = true,
       .help = "the domain name; always the VirtualMachine's name (injected)"},
      {.name = "memory",
       .type = ParamType::String,
       .required = true,
       .help = "memory in MiB (\"1024\"), or \"memory=1024,maxmemory=2048\"",
       .validator = parsedBy(&parseMemoryOption)},
      {.name = "vcpus",
       .type = ParamType::String,
       .help = "virtual CPUs (\"2\"), or \"vcpus=2,maxvcpus=4,sockets=1,cores=4,threads=1\"",
       .validator = parsedBy(&parseVcpuOption)},
      {.name = "cpu",
       .type = ParamType::String,
       .help = "host-passthrough, host-model, host, or a CPU model name",
       .validator = parsedBy(&parseCpuOption)},
      {.name = "metadata",
       .type = ParamType::String,
       .help = "\"title=..,description=..,uuid=..\"",
       .validator = parsedBy(&parseMetadataOption)},
  };
  if (from_image) {
    for (const char* name : {"cdrom", "location", "pxe", "livecd"}) {
      params.push_back(unsupportedParam(name,
                                        "createAndStartVMFromImage boots the existing "
                                        "disk image; use createAndStartVMFromISO to "
                                        "install"));
    }
  } else {
    params.push_back({.name = "cdrom",
                      .type = ParamType::Path,
                      .help = "installation ISO, attached as a read-only cdrom"});
    params.push_back(unsupportedParam("location",
                                      "univirt cannot extract an installer kernel "
                                      "from a tree; use cdrom"));
    params.push_back(unsupportedParam("pxe", kNotImplemented));
    params.push_back(unsupportedParam("livecd", kNotImplemented));
  }
  params.push_back(unsupportedParam("extra_args",
                                    "only used with location, which univirt does "
                                    "not implement"));
  params.push_back(unsupportedParam("initrd_inject",
                                    "only used with location, which univirt "
                                    "does not implement"));
  params.push_back({.name = "os_variant",
                    .type = ParamType::String,
                    .help = "guest OS id (e.g. centos7.0); recorded in the domain metadata"});
  params.push_back({.name = "boot",
                    .type = ParamType::String,
                    .help = "boot device order, e.g. \"hd,cdrom,menu=on\"",
                    .validator = parsedBy(&parseBootOption)});
  params.push_back(unsupportedParam("idmap", "only for container guests"));
  params.push_back({.name = "disk",
                    .type = ParamType::String,
                    .required = from_image,
                    .help = "\"path=/dir/d.qcow2,format=qcow2,bus=virtio,size=10\" (size in GiB "
                            "creates a missing file), a plain path, or \"none\"",
                    .validator = checkDisk});
  params.push_back({.name = "network",
                    .type = ParamType::String,
                    .help = "\"type=bridge|l2bridge,source=<bridge>[,mac=..][,inbound=..]"
                            "[,outbound=..]\", \"type=l3bridge,source=<OVS bridge>,switch=<logical "
                            "switch>[,ip=<address>|dynamic][,mac=..]\" (needs --ovn-nb), "
                            "\"type=user\" or \"none\"",
                    .validator = parsedBy(&parseNetworkOption)});
  params.push_back({.name = "graphics",
                    .type = ParamType::String,
                    .help = "\"vnc,listen=127.0.0.1[,port=5901][,password=..]\", \"spice,..\" or "
                            "\"none\"",
                    .validator = parsedBy(&parseGraphicsOption)});
  for (const char* name :
       {"controller", "input",      "serial",  "parallel",  "channel",       "console",
        "hostdev",    "filesystem", "sound",   "watchdog",  "smartcard",     "redirdev",
        "memballoon", "tpm",        "rng",     "panic",     "memdev",        "security",
        "cputune",    "numatune",   "memtune", "blkiotune", "memorybacking", "features",
        "clock",      "pm",         "events",  "resource",  "sysinfo",       "qemu_commandline"}) {
    params.push_back(unsupportedParam(name, kNotImplemented));
  }
  params.push_back({.name = "hvm",
                    .type = ParamType::Boolean,
                    .help = "a fully virtualized guest; always the case, accepted for "
                            "compatibility"});
  params.push_back(unsupportedParam("paravirt", "Xen paravirtualized guests are not supported"));
  params.push_back(unsupportedParam("container", "container guests are not supported"));
  params.push_back({.name = "virt_type",
                    .type = ParamType::String,
                    .allowed = {"kvm", "qemu"},
                    .help = "kvm (default when the node has KVM) or qemu (software emulation)"});
  params.push_back({.name = "arch",
                    .type = ParamType::String,
                    .allowed = {"x86_64", "i686", "aarch64", "ppc64le", "s390x"},
                    .help = "guest CPU architecture (default x86_64)"});
  params.push_back({.name = "machine",
                    .type = ParamType::String,
                    .help = "machine type, e.g. pc or q35 (default: libvirt's)"});
  params.push_back({.name = "autostart",
                    .type = ParamType::Boolean,
                    .help = "start the domain when the node boots"});
  params.push_back(unsupportedParam("noreboot", kNotImplemented));
  params.push_back(unsupportedParam("dry_run",
                                    "a request always takes effect; nothing to "
                                    "refresh after a dry run"));
  params.push_back(unsupportedParam("check", kNotImplemented));
  params.push_back({.name = "noautoconsole",
                    .type = ParamType::Boolean,
                    .help = "accepted for compatibility: virtctl never attaches a console"});
  return params;
}

}  // namespace

void addCreateOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  table.add({.kind = kKind,
             .key = "createAndStartVMFromISO",
             .name_field = "name",
             .params = installParams(false),
             .summary = "Define a domain from virt-install options, create its missing disk, "
                        "and start it (boots the cdrom when the disk is blank).",
             .handler =
                 [&deps](const Invocation& invocation) {
                   return createAndStart(deps, invocation, false);
                 },
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::Active),
             .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "createAndStartVMFromImage",
       .name_field = "name",
       .params = installParams(true),
       .summary = "Define a domain that boots an existing disk image (virt-install "
                  "--import) and start it.",
       .handler =
           [&deps](const Invocation& invocation) { return createAndStart(deps, invocation, true); },
       .refresh = refresh,
       .settle = settleWhen(deps, Expectation::Active),
       .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "createVM",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "file",
                   .type = ParamType::Path,
                   .required = true,
                   .help = "domain XML file; its <name> must be the VirtualMachine's"},
                  unsupportedParam("console", "a daemon has no terminal to attach a console to"),
                  {.name = "paused",
                   .type = ParamType::Boolean,
                   .help = "leave the domain paused after creating it"},
                  unsupportedParam("autodestroy",
                                   "the domain would die with virtctl's libvirt "
                                   "connection at its next restart"),
                  unsupportedParam("pass-fds", "a daemon cannot pass file descriptors to a domain"),
                  {.name = "validate",
                   .type = ParamType::Boolean,
                   .help = "validate the XML against libvirt's schema"}},
       .summary = "Create and start a transient domain from a domain XML file (virsh "
                  "create).",
       .handler = [&deps](const Invocation& invocation) { return createVm(deps, invocation); },
       .refresh = refresh,
       .settle = settleWhen(deps, Expectation::Active),
       .test_tier = lifecycle::TestTier::TestDriver});
}

}  // namespace univirt::virtctl::vm
