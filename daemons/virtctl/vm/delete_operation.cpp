// deleteVM (crd-contract.md §3.1, upstream `virshplus delete_vm`): destroy if running,
// undefine with virsh undefine's options, remove the storage asked for, and delete the
// VirtualMachine object (Outcome.object_deleted; the engine deletes it).

#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libvirt/libvirt.h>

#include "core/util/log.h"
#include "core/virt/handles.h"
#include "core/virt/virt_error.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/ovn_nics.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_rows.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamType;
using util::Error;
using util::ErrorCode;

// The storage volume libvirt manages at `path`, or an empty handle for a plain file.
virt::StorageVolumeHandle volumeAt(const virt::Connection& connection, const std::string& path) {
  virt::StorageVolumeHandle volume(virStorageVolLookupByPath(connection.get(), path.c_str()));
  if (!volume) {
    static_cast<void>(virt::takeLastError());  // not in a pool: a plain file
  }
  return volume;
}

// Which disk files the request asks to remove. Checked before anything is destroyed.
util::Result<std::vector<std::string>> storageToRemove(const lifecycle::Params& params,
                                                       const std::vector<DomainDisk>& disks,
                                                       const std::string& name) {
  std::vector<std::string> paths;
  if (params.flag("remove-all-storage")) {
    // Installer ISOs (cdrom) are shared between domains and are never removed.
    for (const DomainDisk& disk : disks) {
      if (disk.device == "disk" && !disk.source.empty()) {
        paths.push_back(disk.source);
      }
    }
  }
  const std::string storage = params.string("storage");
  std::size_t start = 0;
  while (!storage.empty() && start <= storage.size()) {
    std::size_t comma = storage.find(',', start);
    if (comma == std::string::npos) {
      comma = storage.size();
    }
    const std::string entry = storage.substr(start, comma - start);
    start = comma + 1;
    if (entry.empty()) {
      continue;
    }
    const DomainDisk* disk = findDisk(disks, entry);
    if (disk == nullptr || disk->source.empty()) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("storage '{}' is neither a disk target nor a disk file of domain "
                               "'{}'; nothing was deleted",
                               entry, name)};
    }
    if (std::find(paths.begin(), paths.end(), disk->source) == paths.end()) {
      paths.push_back(disk->source);
    }
  }
  return paths;
}

util::Result<unsigned int> undefineFlags(const lifecycle::Params& params, bool removes_storage) {
  if (params.flag("nvram") && params.flag("keep-nvram")) {
    return Error{ErrorCode::InvalidArgument, "'nvram' and 'keep-nvram' exclude each other"};
  }
  if ((params.flag("delete-snapshots") || params.flag("wipe-storage")) && !removes_storage) {
    return Error{ErrorCode::InvalidArgument,
                 "'delete-snapshots' and 'wipe-storage' need 'storage' or 'remove-all-storage'"};
  }
  unsigned int flags = 0;
  if (params.flag("managed-save")) {
    flags |= VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
  }
  if (params.flag("snapshots-metadata") || params.flag("delete-snapshots")) {
    flags |= VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
  }
  if (params.flag("nvram")) {
    flags |= VIR_DOMAIN_UNDEFINE_NVRAM;
  }
  if (params.flag("keep-nvram")) {
    flags |= VIR_DOMAIN_UNDEFINE_KEEP_NVRAM;
  }
  return flags;
}

// Removes one disk file: through libvirt when a pool holds it (wiping first if asked),
// else from the file system. Returns the failure as a sentence, empty on success.
std::string removeStorage(const virt::Connection& connection, const std::string& path, bool wipe) {
  virt::StorageVolumeHandle volume = volumeAt(connection, path);
  if (volume) {
    if (wipe && virStorageVolWipe(volume.get(), 0) < 0) {
      return virt::lastError(fmt::format("wiping '{}'", path)).message;
    }
    if (virStorageVolDelete(volume.get(), 0) < 0) {
      return virt::lastError(fmt::format("deleting volume '{}'", path)).message;
    }
    return {};
  }
  std::error_code ec;
  if (!std::filesystem::remove(path, ec) && ec) {
    return fmt::format("removing '{}': {}", path, ec.message());
  }
  return {};
}

// The OVN logical switch ports of the domain's NICs, when OVN is configured and the domain has
// an Open vSwitch NIC (l2bridge or l3bridge); a sentence when they could not be removed, else
// "". The domain is gone by then, so a failure is reported, not undone.
std::string removeOvnBindings(const VmOperationDeps& deps, const std::string& name,
                              const std::string& domain_xml) {
  if (deps.ovn_northbound.empty() || !hasOvsInterface(domain_xml)) {
    return {};
  }
  auto removed = unbindDomainNics(deps, name);
  if (!removed && removed.error().code == ErrorCode::Unavailable) {
    // Most likely a node with Open vSwitch (l2bridge) but no OVN: nothing was bound there.
    log::warn("OVN bindings of a deleted domain not checked",
              {{"domain", name}, {"err", removed.error().message}});
    return {};
  }
  if (!removed) {
    return fmt::format("its OVN logical switch ports were not removed: {}",
                       removed.error().message);
  }
  return {};
}

util::Result<Outcome> deleteVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto connection = connect(deps);
  if (!connection) {
    return connection.error();
  }
  auto domain = (*connection)->lookupDomain(invocation.name);
  if (!domain) {
    if (domain.error().code == ErrorCode::NotFound) {
      return Outcome{.message = fmt::format("domain '{}' was already gone", invocation.name),
                     .object_deleted = true};
    }
    return domain.error();
  }
  auto owner = ownerOf(*domain, deps.settings);
  if (!owner) {
    return owner.error();
  }
  if (*owner != invocation.namespace_name) {
    // This object never managed the domain (it was refused at creation), so deleting it must
    // not touch the other namespace's domain.
    return Outcome{.message = fmt::format("domain '{}' belongs to the VirtualMachine in namespace "
                                          "'{}' and was left alone; only this object was deleted",
                                          invocation.name, *owner),
                   .object_deleted = true};
  }
  auto persistent = domain->isPersistent();
  if (!persistent) {
    return persistent.error();
  }
  auto xml = domain->xml(*persistent ? VIR_DOMAIN_XML_INACTIVE : 0);
  if (!xml) {
    return xml.error();
  }
  auto disks = listDomainDisks(*xml);
  if (!disks) {
    return disks.error();
  }
  auto storage = storageToRemove(invocation.params, *disks, invocation.name);
  if (!storage) {
    return storage.error();
  }
  auto flags = undefineFlags(invocation.params, !storage->empty());
  if (!flags) {
    return flags.error();
  }
  const bool wipe = invocation.params.flag("wipe-storage");
  if (wipe) {
    for (const std::string& path : *storage) {
      if (!volumeAt(**connection, path)) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("'{}' is not a volume of a libvirt storage pool, so it cannot "
                                 "be wiped; nothing was deleted",
                                 path)};
      }
    }
  }
  auto active = domain->isActive();
  if (!active) {
    return active.error();
  }
  if (*active) {
    if (auto destroyed = domain->destroy(); !destroyed) {
      return destroyed.error();
    }
  }
  if (*persistent) {
    if (auto undefined = domain->undefine(*flags); !undefined) {
      return undefined.error();
    }
  }
  std::vector<std::string> failures;
  for (const std::string& path : *storage) {
    if (std::string failure = removeStorage(**connection, path, wipe); !failure.empty()) {
      failures.push_back(std::move(failure));
    }
  }
  if (std::string failure = removeOvnBindings(deps, invocation.name, *xml); !failure.empty()) {
    failures.push_back(std::move(failure));
  }
  Outcome outcome;
  outcome.object_deleted = true;
  if (!failures.empty()) {
    outcome.message = fmt::format("domain '{}' was deleted, but not everything with it: {}",
                                  invocation.name, fmt::join(failures, "; "));
  } else if (!storage->empty()) {
    outcome.message = fmt::format("domain '{}' and its storage {} were deleted", invocation.name,
                                  fmt::join(*storage, ", "));
  }
  return outcome;
}

}  // namespace

void addDeleteOperation(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  table.add(
      {.kind = kKind,
       .key = "deleteVM",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "managed-save",
                   .type = ParamType::Boolean,
                   .help = "also remove a managed save image"},
                  {.name = "storage",
                   .type = ParamType::String,
                   .help = "comma-separated disk targets or files to delete with the domain "
                           "(e.g. vda,/var/lib/libvirt/pool/disk/disk)"},
                  {.name = "remove-all-storage",
                   .type = ParamType::Boolean,
                   .help = "delete every disk file of the domain (never cdrom images)"},
                  {.name = "delete-snapshots",
                   .type = ParamType::Boolean,
                   .help = "with storage removal: also drop snapshot metadata"},
                  {.name = "wipe-storage",
                   .type = ParamType::Boolean,
                   .help = "wipe removed volumes first (libvirt pool volumes only)"},
                  {.name = "snapshots-metadata",
                   .type = ParamType::Boolean,
                   .help = "also remove the metadata of the domain's snapshots"},
                  {.name = "nvram",
                   .type = ParamType::Boolean,
                   .help = "also remove the UEFI variable store"},
                  {.name = "keep-nvram",
                   .type = ParamType::Boolean,
                   .help = "keep the UEFI variable store"}},
       .summary = "Destroy and undefine the domain, optionally delete its storage, and delete "
                  "the VirtualMachine (virsh undefine).",
       .handler = [&deps](const Invocation& invocation) { return deleteVm(deps, invocation); },
       .settle = settleWhen(deps, Expectation::Gone),
       .test_tier = lifecycle::TestTier::TestDriver});
}

}  // namespace univirt::virtctl::vm
