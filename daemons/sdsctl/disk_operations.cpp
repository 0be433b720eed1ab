// VirtualMachineDisk rows (crd-contract §3.2; nameField `vol`, or `name` where upstream has it).

#include <fmt/format.h>

#include "sdsctl/operation_support.h"

namespace univirt::sdsctl::detail {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;

std::string typeOf(const Invocation& invocation) { return invocation.params.string("type"); }

util::Result<Outcome> volumeOutcome(const Invocation& invocation, util::Result<VolumeState> state) {
  if (!state) {
    return state.error();
  }
  nlohmann::json volume = volumeSpec(*state, typeOf(invocation));
  const nlohmann::json before = currentVolume(invocation);
  volume["vm"] = before.value("vm", "");
  return specOutcome("volume", std::move(volume));
}

// Internal-snapshot rows name no pool upstream: the disk's own .spec.volume.pool is used.
util::Result<std::string> diskPool(const Invocation& invocation) {
  if (invocation.params.has("pool")) {
    return invocation.params.string("pool");
  }
  const std::string pool = currentVolume(invocation).value("pool", "");
  if (pool.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk '{}' has no .spec.volume.pool; give the pool parameter",
                                   invocation.name)};
  }
  return pool;
}

lifecycle::Handler internalSnapshotHandler(const StorageOperationDeps& deps,
                                           Storage::SnapshotAction action) {
  return [&deps, action](const Invocation& invocation) -> util::Result<Outcome> {
    auto pool = diskPool(invocation);
    if (!pool) {
      return pool.error();
    }
    Storage storage = storageFor(deps);
    auto done = storage.internalSnapshot(action, *pool, typeOf(invocation), invocation.name,
                                         invocation.params.string("snapshot"));
    if (!done) {
      return done.error();
    }
    return volumeOutcome(invocation, storage.diskState(*pool, typeOf(invocation), invocation.name));
  };
}

std::vector<ParamSpec> internalSnapshotParams() {
  return {nameParam("name", "disk"),
          typeParam(),
          poolParam("pool", false, "the disk's pool (default: the disk's .spec.volume.pool)"),
          domainParam(),
          {.name = "snapshot",
           .type = ParamType::String,
           .required = true,
           .help = "name of the internal (qcow2) snapshot"}};
}

}  // namespace

void addDiskOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  const ParamSpec vol = nameParam("vol", "disk");
  const ParamSpec pool = poolParam("pool", true, "the VirtualMachinePool holding the disk");
  table.add({.kind = kDiskKind,
             .key = "createDisk",
             .name_field = "vol",
             .params = {vol, typeParam(), pool, capacityParam(), formatParam(false)},
             .summary = "Create an empty disk <pool>/<disk>/<disk>",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const auto& params = invocation.params;
               return volumeOutcome(invocation,
                                    storageFor(deps).createDisk(
                                        params.string("pool"), typeOf(invocation), invocation.name,
                                        params.string("capacity"), params.string("format")));
             }});
  table.add({.kind = kDiskKind,
             .key = "resizeDisk",
             .name_field = "vol",
             .params = {vol, typeParam(), pool, capacityParam()},
             .summary = "Grow a disk to a new capacity (shrinking is refused)",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const auto& params = invocation.params;
               return volumeOutcome(invocation, storageFor(deps).resizeDisk(
                                                    params.string("pool"), typeOf(invocation),
                                                    invocation.name, params.string("capacity")));
             }});
  table.add(
      {.kind = kDiskKind,
       .key = "cloneDisk",
       .name_field = "vol",
       .params = {vol,
                  typeParam(),
                  pool,
                  {.name = "newvol",
                   .type = ParamType::String,
                   .required = true,
                   .help = "name of the new disk (and of its VirtualMachineDisk)"},
                  formatParam(false)},
       .summary = "Copy a disk (its whole chain, flattened) to a new disk in the same pool",
       .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
         const auto& params = invocation.params;
         Storage storage = storageFor(deps);
         auto cloned = storage.cloneDisk(params.string("pool"), typeOf(invocation), invocation.name,
                                         params.string("newvol"), params.string("format"));
         if (!cloned) {
           return cloned.error();
         }
         nlohmann::json volume = volumeSpec(*cloned, typeOf(invocation));
         volume["vm"] = "";
         if (auto made =
                 createDiskObject(deps, invocation.namespace_name, params.string("newvol"), volume);
             !made) {
           return made.error();
         }
         return volumeOutcome(invocation, storage.diskState(params.string("pool"),
                                                            typeOf(invocation), invocation.name));
       }});
  table.add({.kind = kDiskKind,
             .key = "deleteDisk",
             .name_field = "vol",
             .params = {vol, typeParam(), pool},
             .summary = "Delete a disk and its snapshots; refused while a VM has it",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               auto removed = storageFor(deps).deleteDisk(invocation.params.string("pool"),
                                                          typeOf(invocation), invocation.name);
               if (!removed && removed.error().code != util::ErrorCode::NotFound) {
                 return removed.error();
               }
               return deletedOutcome();
             }});
  table.add({.kind = kDiskKind,
             .key = "createDiskFromDiskImage",
             .name_field = "name",
             .params = {nameParam("name", "disk"),
                        typeParam(),
                        poolParam("targetPool", true, "the VirtualMachinePool of the new disk"),
                        {.name = "source",
                         .type = ParamType::String,
                         .required = true,
                         .help = "absolute path of the image file, inside a pool of this node"},
                        {.name = "full-copy",
                         .type = ParamType::Boolean,
                         .help = "copy the image; without it the disk is a qcow2 overlay on it"}},
             .summary = "Create a disk from a disk image (full copy or qcow2 backing file)",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const auto& params = invocation.params;
               return volumeOutcome(
                   invocation, storageFor(deps).createDiskFromImage(
                                   params.string("targetPool"), typeOf(invocation), invocation.name,
                                   params.string("source"), params.flag("full-copy")));
             }});
  table.add({.kind = kDiskKind,
             .key = "createDiskInternalSnapshot",
             .name_field = "name",
             .params = internalSnapshotParams(),
             .summary = "Take an internal qcow2 snapshot of a disk not in a running VM",
             .handler = internalSnapshotHandler(deps, Storage::SnapshotAction::Create)});
  table.add({.kind = kDiskKind,
             .key = "deleteDiskInternalSnapshot",
             .name_field = "name",
             .params = internalSnapshotParams(),
             .summary = "Delete an internal qcow2 snapshot of a disk",
             .handler = internalSnapshotHandler(deps, Storage::SnapshotAction::Delete)});
  table.add({.kind = kDiskKind,
             .key = "revertDiskInternalSnapshot",
             .name_field = "name",
             .params = internalSnapshotParams(),
             .summary = "Revert a disk not in a running VM to an internal snapshot",
             .handler = internalSnapshotHandler(deps, Storage::SnapshotAction::Revert)});
}

}  // namespace univirt::sdsctl::detail
