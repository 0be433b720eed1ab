// VirtualMachineDiskImage rows (crd-contract §3.4; nameField `name`).

#include <fmt/format.h>

#include "sdsctl/operation_support.h"

namespace univirt::sdsctl::detail {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamType;

std::string typeOf(const Invocation& invocation) { return invocation.params.string("type"); }

util::Result<Outcome> imageOutcome(const Invocation& invocation, util::Result<VolumeState> state,
                                   const std::string& image_type) {
  if (!state) {
    return state.error();
  }
  nlohmann::json volume = volumeSpec(*state, typeOf(invocation));
  volume["imageType"] = image_type;
  return specOutcome("volume", std::move(volume));
}

}  // namespace

void addImageOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  table.add({.kind = kImageKind,
             .key = "createDiskImage",
             .name_field = "name",
             .params = {nameParam("name", "disk image"),
                        typeParam(),
                        {.name = "imageType",
                         .type = ParamType::String,
                         .allowed = {"qcow2", "iso"},
                         .help = "qcow2: converted to a qcow2 image; iso: copied as it is"},
                        poolParam("targetPool", true, "the VirtualMachinePool of the image"),
                        {.name = "source",
                         .type = ParamType::String,
                         .required = true,
                         .help = "absolute path of the file to import, inside a pool or a "
                                 "configured path root"}},
             .summary = "Import a file as a disk image <pool>/<image>/<image>",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const auto& params = invocation.params;
               const std::string image_type = params.string("imageType", "qcow2");
               return imageOutcome(invocation,
                                   storageFor(deps).createImage(
                                       params.string("targetPool"), typeOf(invocation),
                                       invocation.name, params.string("source"), image_type),
                                   image_type);
             }});
  table.add({.kind = kImageKind,
             .key = "createDiskImageFromDisk",
             .name_field = "name",
             .params = {nameParam("name", "disk image"),
                        typeParam(),
                        poolParam("sourcePool", true, "the VirtualMachinePool of the disk"),
                        {.name = "sourceVolume",
                         .type = ParamType::String,
                         .required = true,
                         .help = "the disk to copy (its whole chain, flattened)"},
                        poolParam("targetPool", true, "the VirtualMachinePool of the image")},
             .summary = "Make a disk image from a disk not in a running VM",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const auto& params = invocation.params;
               return imageOutcome(
                   invocation,
                   storageFor(deps).createImageFromDisk(
                       params.string("sourcePool"), params.string("sourceVolume"),
                       params.string("targetPool"), typeOf(invocation), invocation.name),
                   "qcow2");
             }});
  table.add(
      {.kind = kImageKind,
       .key = "deleteDiskImage",
       .name_field = "name",
       .params = {nameParam("name", "disk image"), typeParam(),
                  poolParam("sourcePool", false, "the image's VirtualMachinePool"),
                  poolParam("pool", false, "the same as sourcePool (upstream's delete path)")},
       .summary = "Delete a disk image; refused while a VM uses it",
       .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
         const auto& params = invocation.params;
         // Upstream's request sends sourcePool, its kubectl-delete path pool: take either.
         std::string pool = params.string("sourcePool", params.string("pool"));
         if (pool.empty()) {
           pool = currentVolume(invocation).value("pool", "");
         }
         if (pool.empty()) {
           return util::Error{
               util::ErrorCode::InvalidArgument,
               fmt::format("deleteDiskImage of '{}' needs sourcePool (or pool)", invocation.name)};
         }
         auto removed = storageFor(deps).deleteImage(pool, typeOf(invocation), invocation.name);
         if (!removed && removed.error().code != util::ErrorCode::NotFound) {
           return removed.error();
         }
         return deletedOutcome();
       }});
}

}  // namespace univirt::sdsctl::detail
