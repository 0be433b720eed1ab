// VirtualMachineDiskSnapshot rows (crd-contract §3.3; nameField `name`): external snapshots as
// qcow2 overlay chains. Each keeps the source VirtualMachineDisk's .spec.volume current.

#include <fmt/format.h>

#include "sdsctl/operation_support.h"

namespace univirt::sdsctl::detail {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;

std::string typeOf(const Invocation& invocation) { return invocation.params.string("type"); }

std::vector<ParamSpec> snapshotParams(bool with_format) {
  std::vector<ParamSpec> params = {
      nameParam("name", "snapshot"),
      typeParam(),
      poolParam("pool", true, "the VirtualMachinePool of the source disk"),
      {.name = "source",
       .type = ParamType::String,
       .required = true,
       .help = "the VirtualMachineDisk the snapshot is of"},
      domainParam()};
  if (with_format) {
    params.push_back({.name = "format",
                      .type = ParamType::String,
                      .allowed = {"qcow2"},
                      .help = "format of the overlay (qcow2, the only one)"});
  }
  return params;
}

// The snapshot's own .spec.volume: its overlay file and what it is backed by.
nlohmann::json snapshotVolume(const Invocation& invocation, const VolumeState& disk,
                              const std::filesystem::path& overlay, const std::string& backing) {
  return {{"pool", invocation.params.string("pool")},
          {"disk", invocation.params.string("source")},
          {"snapshot", invocation.name},
          {"domain", invocation.params.string("domain")},
          {"format", "qcow2"},
          {"type", typeOf(invocation).empty() ? "localfs" : typeOf(invocation)},
          {"filename", overlay.string()},
          {"current", disk.current.string()},
          {"full_backing_filename", backing}};
}

lifecycle::Handler handler(const StorageOperationDeps& deps, Storage::SnapshotAction action) {
  return [&deps, action](const Invocation& invocation) -> util::Result<Outcome> {
    const auto& params = invocation.params;
    const std::string source = params.string("source");
    auto state = storageFor(deps).externalSnapshot(action, params.string("pool"),
                                                   typeOf(invocation), source, invocation.name);
    if (!state) {
      if (action == Storage::SnapshotAction::Delete &&
          state.error().code == util::ErrorCode::NotFound) {
        return deletedOutcome();  // the disk or its pool is gone already
      }
      return state.error();
    }
    nlohmann::json disk_volume = volumeSpec(*state, typeOf(invocation));
    patchDiskVolume(deps, invocation.namespace_name, source, disk_volume);
    if (action == Storage::SnapshotAction::Delete) {
      return deletedOutcome();
    }
    return specOutcome("volume",
                       snapshotVolume(invocation, *state, state->current, state->backing_file));
  };
}

}  // namespace

void addSnapshotOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  table.add({.kind = kSnapshotKind,
             .key = "createDiskExternalSnapshot",
             .name_field = "name",
             .params = snapshotParams(true),
             .summary = "Freeze a disk: a new qcow2 overlay becomes its current file (live "
                        "through libvirt when a running VM has the disk)",
             .handler = handler(deps, Storage::SnapshotAction::Create)});
  table.add({.kind = kSnapshotKind,
             .key = "revertDiskExternalSnapshot",
             .name_field = "name",
             .params = snapshotParams(true),
             .summary = "Discard what the disk wrote since the snapshot (the VM must be stopped)",
             .handler = handler(deps, Storage::SnapshotAction::Revert)});
  table.add({.kind = kSnapshotKind,
             .key = "deleteDiskExternalSnapshot",
             .name_field = "name",
             .params = snapshotParams(false),
             .summary = "Merge the snapshot's overlay away, keeping the data (the VM must be "
                        "stopped)",
             .handler = handler(deps, Storage::SnapshotAction::Delete)});
}

}  // namespace univirt::sdsctl::detail
