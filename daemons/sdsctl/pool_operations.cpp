// VirtualMachinePool rows (crd-contract §3.5; nameField `pool`).

#include "sdsctl/operation_support.h"

namespace univirt::sdsctl::detail {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;

lifecycle::ParamSpec autoStartParam() {
  return {.name = "auto-start",
          .type = ParamType::Boolean,
          .help = "start the pool when libvirtd starts"};
}

std::string typeOf(const Invocation& invocation) {
  return invocation.params.string("type", "localfs");
}

util::Result<Outcome> poolOutcome(const Invocation& invocation, util::Result<PoolState> state) {
  if (!state) {
    return state.error();
  }
  nlohmann::json pool = state->toSpec();
  pool["type"] = typeOf(invocation);
  // Fields the pool was created with that libvirt does not keep (sourceHost, …).
  const auto& object = invocation.object;
  if (object.is_object() && object.contains("spec") && object["spec"].is_object() &&
      object["spec"].contains("pool") && object["spec"]["pool"].is_object()) {
    for (const char* kept : {"sourceHost", "sourcePath", "sourceName"}) {
      if (object["spec"]["pool"].contains(kept) && !pool.contains(kept)) {
        pool[kept] = object["spec"]["pool"][kept];
      }
    }
  }
  return specOutcome("pool", std::move(pool));
}

}  // namespace

void addPoolOperations(lifecycle::OperationTable& table, const StorageOperationDeps& deps) {
  const ParamSpec pool = nameParam("pool", "pool (libvirt storage pool name)");
  table.add(
      {.kind = kPoolKind,
       .key = "createPool",
       .name_field = "pool",
       .params = {pool,
                  {.name = "type",
                   .type = ParamType::String,
                   .required = true,
                   .allowed = poolTypeNames(),
                   .help = typeParam().help},
                  {.name = "url",
                   .type = ParamType::String,
                   .required = true,
                   .help = "the pool's directory (created for localfs/dir; for cephfs/nfs the "
                           "mount point, which must already be mounted); cephrbd: rbd:<cephpool> "
                           "(or a directory with the Ceph pool in source-name)"},
                  {.name = "content",
                   .type = ParamType::String,
                   .help = "what the pool holds (vmd, vmdi, iso …), written to <url>/content"},
                  autoStartParam(),
                  {.name = "source-host",
                   .type = ParamType::String,
                   .help = "recorded: the file server (cephfs/nfs)"},
                  {.name = "source-path",
                   .type = ParamType::String,
                   .help = "recorded: the exported path (cephfs/nfs)"},
                  {.name = "source-name",
                   .type = ParamType::String,
                   .help = "recorded: the source name (cephrbd: the Ceph pool)"}},
       .summary = "Define, start and mark a storage pool directory",
       .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
         const auto& params = invocation.params;
         CreatePoolRequest request{.name = invocation.name,
                                   .type = typeOf(invocation),
                                   .url = params.string("url"),
                                   .content = params.string("content"),
                                   .autostart = params.flag("auto-start"),
                                   .source_host = params.string("source-host"),
                                   .source_path = params.string("source-path"),
                                   .source_name = params.string("source-name")};
         auto outcome = poolOutcome(invocation, storageFor(deps).createPool(request));
         if (outcome) {
           auto& spec = outcome->spec_fields["pool"];
           for (const auto& [param, field] :
                {std::pair{"source-host", "sourceHost"}, std::pair{"source-path", "sourcePath"},
                 std::pair{"source-name", "sourceName"}}) {
             if (params.has(param)) {
               spec[field] = params.string(param);
             }
           }
         }
         return outcome;
       }});
  table.add({.kind = kPoolKind,
             .key = "deletePool",
             .name_field = "pool",
             .params = {pool, typeParam()},
             .summary = "Stop and undefine an empty pool and remove its directory",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               auto removed = storageFor(deps).deletePool(invocation.name, typeOf(invocation));
               if (!removed) {
                 return removed.error();
               }
               return deletedOutcome();
             }});
  table.add({.kind = kPoolKind,
             .key = "startPool",
             .name_field = "pool",
             .params = {pool, typeParam()},
             .summary = "Start (activate) a defined pool",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               return poolOutcome(invocation,
                                  storageFor(deps).startPool(invocation.name, typeOf(invocation)));
             }});
  table.add({.kind = kPoolKind,
             .key = "stopPool",
             .name_field = "pool",
             .params = {pool, typeParam()},
             .summary = "Stop (deactivate) a pool; its files stay",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               return poolOutcome(invocation,
                                  storageFor(deps).stopPool(invocation.name, typeOf(invocation)));
             }});
  table.add({.kind = kPoolKind,
             .key = "autoStartPool",
             .name_field = "pool",
             .params = {pool, typeParam(), autoStartParam()},
             .summary = "Set whether the pool starts with libvirtd",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               return poolOutcome(invocation, storageFor(deps).setPoolAutostart(
                                                  invocation.name, typeOf(invocation),
                                                  invocation.params.flag("auto-start")));
             }});
}

}  // namespace univirt::sdsctl::detail
