// VirtualMachineDiskImage rows (crd-contract §3.4; nameField `name`).

#include <algorithm>

#include <fmt/format.h>

#include "sdsctl/operation_support.h"
#include "sdsctl/pool_type.h"

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

// The image pool's type as the object's .spec.volume records it (empty: localfs). The hub
// rows' own `type` is the hub type (nfs, cephrgw), not the pool's.
std::string poolTypeOfImage(const Invocation& invocation) {
  const nlohmann::json volume = currentVolume(invocation);
  if (!volume.contains("type") || !volume.at("type").is_string()) {
    return {};
  }
  const auto& names = poolTypeNames();
  const std::string text = volume.value("type", std::string());
  return std::find(names.begin(), names.end(), text) != names.end() ? text : std::string();
}

lifecycle::ParamSpec hubTypeParam() {
  return {.name = "type",
          .type = ParamType::String,
          .required = true,
          .allowed = {"nfs", "cephrgw"},
          .help =
              "image hub: nfs (a directory on an NFS mount, under a configured path root); "
              "cephrgw (an S3 bucket) is not supported and fails"};
}

void addHubOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  table.add(
      {.kind = kImageKind,
       .key = "uploadDiskImage",
       .name_field = "name",
       .params = {nameParam("name", "disk image"),
                  hubTypeParam(),
                  poolParam("pool", true, "the VirtualMachinePool of the image"),
                  {.name = "target-path",
                   .type = ParamType::String,
                   .required = true,
                   .help = "nfs: the hub directory (absolute, on an NFS mount, under a "
                           "configured path root); the image is copied to <target-path>/<name>"}},
       .summary = "Copy a disk image to an image hub directory; never overwrites another file",
       .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
         const auto& params = invocation.params;
         auto copied = storageFor(deps).uploadImage(
             params.string("pool"), poolTypeOfImage(invocation), invocation.name,
             params.string("type"), params.string("target-path"));
         if (!copied) {
           return copied.error();
         }
         // As upstream, .spec.volume stays as it is: the image has not changed.
         Outcome outcome;
         outcome.message = fmt::format(
             "{} '{}' ({} bytes)", copied->already_there ? "already in the hub as" : "copied to",
             copied->file.string(), copied->bytes);
         return outcome;
       }});
  table.add(
      {.kind = kImageKind,
       .key = "downloadDiskImage",
       .name_field = "name",
       .params = {nameParam("name", "disk image"),
                  hubTypeParam(),
                  poolParam("pool", true, "the VirtualMachinePool the image is created in"),
                  {.name = "source-path",
                   .type = ParamType::String,
                   .required = true,
                   .help = "nfs: the image file in the hub (absolute, on an NFS mount, under a "
                           "configured path root)"}},
       .summary = "Copy an image hub file in as a new disk image <pool>/<image>/<image>",
       .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
         const auto& params = invocation.params;
         auto state = storageFor(deps).downloadImage(
             params.string("pool"), poolTypeOfImage(invocation), invocation.name,
             params.string("type"), params.string("source-path"));
         if (!state) {
           return state.error();
         }
         // Upstream's .spec.volume after a download: current, pool, format, type localfs and
         // source-path "<hub>:<path>".
         nlohmann::json volume = volumeSpec(*state, "localfs");
         volume["source-path"] =
             fmt::format("{}:{}", params.string("type"), params.string("source-path"));
         return specOutcome("volume", std::move(volume));
       }});
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
  addHubOperations(table, deps);
}

}  // namespace univirt::sdsctl::detail
