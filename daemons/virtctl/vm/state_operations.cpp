// saveVM, restoreVM (virsh save/restore) and migrateVM (upstream `virshplus migrate_vm`,
// virDomainMigrateToURI3 peer-to-peer to the node at `ip`).

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/virt/handles.h"
#include "core/virt/virt_error.h"
#include "virtctl/vm/domain_disks.h"
#include "virtctl/vm/owner_metadata.h"
#include "virtctl/vm/state_params.h"
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

util::Result<unsigned int> saveRestoreFlags(const lifecycle::Params& params) {
  if (params.flag("running") && params.flag("paused")) {
    return Error{ErrorCode::InvalidArgument, "'running' and 'paused' exclude each other"};
  }
  unsigned int flags = 0;
  if (params.flag("bypass-cache")) {
    flags |= VIR_DOMAIN_SAVE_BYPASS_CACHE;
  }
  if (params.flag("running")) {
    flags |= VIR_DOMAIN_SAVE_RUNNING;
  }
  if (params.flag("paused")) {
    flags |= VIR_DOMAIN_SAVE_PAUSED;
  }
  return flags;
}

// virsh's --xml names a file whose content replaces the saved definition.
util::Result<std::string> alternateXml(const lifecycle::Params& params) {
  if (!params.has("xml")) {
    return std::string();
  }
  return readTextFile(params.string("xml"), "domain XML file");
}

util::Result<Outcome> saveVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto flags = saveRestoreFlags(invocation.params);
  if (!flags) {
    return flags.error();
  }
  auto xml = alternateXml(invocation.params);
  if (!xml) {
    return xml.error();
  }
  const std::string file = invocation.params.string("file");
  if (virDomainSaveFlags(owned->domain.get(), file.c_str(), xml->empty() ? nullptr : xml->c_str(),
                         *flags) < 0) {
    return virt::lastError(fmt::format("saving domain '{}' to '{}'", invocation.name, file));
  }
  return Outcome{.message = fmt::format("the domain's memory was saved to '{}'", file)};
}

util::Result<Outcome> restoreVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto flags = saveRestoreFlags(invocation.params);
  if (!flags) {
    return flags.error();
  }
  auto xml = alternateXml(invocation.params);
  if (!xml) {
    return xml.error();
  }
  auto connection = connect(deps);
  if (!connection) {
    return connection.error();
  }
  const std::string file = invocation.params.string("file");
  // The image names its domain; it must be this VirtualMachine's, owned by this namespace.
  char* raw = virDomainSaveImageGetXMLDesc((*connection)->get(), file.c_str(), 0);
  if (raw == nullptr) {
    return virt::lastError(fmt::format("reading the saved image '{}'", file));
  }
  const std::string saved = virt::takeString(raw);
  auto identity = savedDomainIdentity(saved);
  if (!identity) {
    return identity.error().withContext(fmt::format("reading the saved image '{}'", file));
  }
  if (identity->name != invocation.name) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("saved image '{}' holds domain '{}', not '{}'", file, identity->name,
                             invocation.name)};
  }
  const std::string owner =
      identity->owner_namespace.empty() ? deps.settings.home_namespace : identity->owner_namespace;
  if (owner != invocation.namespace_name) {
    return Error{ErrorCode::PermissionDenied,
                 fmt::format("saved image '{}' holds the domain of the VirtualMachine in "
                             "namespace '{}', not '{}'",
                             file, owner, invocation.namespace_name)};
  }
  if (virDomainRestoreFlags((*connection)->get(), file.c_str(),
                            xml->empty() ? nullptr : xml->c_str(), *flags) < 0) {
    return virt::lastError(fmt::format("restoring domain '{}' from '{}'", invocation.name, file));
  }
  return Outcome{};
}

util::Result<Outcome> migrateVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto xml = owned->domain.xml(0);
  if (!xml) {
    return xml.error();
  }
  auto disks = listDomainDisks(*xml);
  if (!disks) {
    return disks.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  auto plan = planMigration(invocation.params, *disks, *active, deps.settings);
  if (!plan) {
    return plan.error().withContext(fmt::format("migrating domain '{}'", invocation.name));
  }
  virTypedParameterPtr typed = nullptr;
  int count = 0;
  int max = 0;
  if (!plan->data_uri.empty() &&
      virTypedParamsAddString(&typed, &count, &max, VIR_MIGRATE_PARAM_URI, plan->data_uri.c_str()) <
          0) {
    return virt::lastError("building migration parameters");
  }
  const int rc = virDomainMigrateToURI3(owned->domain.get(), plan->connect_uri.c_str(), typed,
                                        static_cast<unsigned int>(count), plan->flags);
  util::Error error;
  if (rc < 0) {
    error = virt::lastError(
        fmt::format("migrating domain '{}' to '{}'", invocation.name, plan->connect_uri));
  }
  virTypedParamsFree(typed, count);
  if (rc < 0) {
    return error;
  }
  return Outcome{.message = fmt::format("domain '{}' was migrated to {}", invocation.name,
                                        invocation.params.string("ip"))};
}

}  // namespace

void addStateOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  auto save_params = [](bool save) {
    std::vector<lifecycle::ParamSpec> params = {
        domainParam(),
        {.name = "file",
         .type = ParamType::Path,
         .required = true,
         .help = save ? "file the domain's memory is saved to" : "saved image to restore"},
        {.name = "bypass-cache", .type = ParamType::Boolean, .help = "avoid the file system cache"},
        {.name = "xml",
         .type = ParamType::Path,
         .help = "file with an alternative domain XML for the saved image"},
        {.name = "running",
         .type = ParamType::Boolean,
         .help = "the restored domain runs (overrides the saved state)"},
        {.name = "paused",
         .type = ParamType::Boolean,
         .help = "the restored domain is paused (overrides the saved state)"}};
    if (save) {
      params.push_back({.name = "verbose",
                        .type = ParamType::Boolean,
                        .help = "accepted for compatibility; progress is not reported"});
    }
    return params;
  };
  table.add({.kind = kKind,
             .key = "saveVM",
             .name_field = "domain",
             .params = save_params(true),
             .summary = "Save the running domain's memory to a file and stop it (virsh save).",
             .handler = [&deps](const Invocation& invocation) { return saveVm(deps, invocation); },
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::Shutoff),
             .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "restoreVM",
       .name_field = "domain",
       .params = save_params(false),
       .summary = "Start the domain again from a file saveVM wrote (virsh restore).",
       .handler = [&deps](const Invocation& invocation) { return restoreVm(deps, invocation); },
       .refresh = refresh,
       .settle = settleWhen(deps, Expectation::Active),
       .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "migrateVM",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "ip",
                   .type = ParamType::String,
                   .required = true,
                   .help = "IP address of the node that receives the domain",
                   .validator = ipAddressValidator()},
                  {.name = "offline",
                   .type = ParamType::Boolean,
                   .help = "move only the definition of a domain (no live memory copy)"}},
       .summary = "Move the domain to another node, live unless offline (upstream "
                  "migrate_vm; no refresh afterwards).",
       .handler = [&deps](const Invocation& invocation) { return migrateVm(deps, invocation); },
       .test_tier = lifecycle::TestTier::RealLibvirtd});
}

}  // namespace univirt::virtctl::vm
