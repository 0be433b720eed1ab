// changeNumberOfCPU, resizeRAM, resizeMaxRAM, resizeVM (virsh setvcpus, setmem, setmaxmem,
// blockresize). A running domain is changed in place where libvirt allows it; a change that
// only reached the definition says it takes effect at the next boot (issue #6 point 7).

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/util/exec.h"
#include "core/virt/virt_error.h"
#include "virtctl/vm/domain_disks.h"
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

constexpr std::uint64_t kKiB = 1024;

bool anyAffectFlag(const lifecycle::Params& params) {
  return params.flag("live") || params.flag("config") || params.flag("current");
}

Outcome withNote(std::string done, const std::string& note) {
  return Outcome{.message = note.empty() ? std::move(done) : fmt::format("{}; {}", done, note)};
}

util::Result<Outcome> changeNumberOfCpu(const VmOperationDeps& deps, const Invocation& invocation) {
  const lifecycle::Params& params = invocation.params;
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  auto flags = affectFlags(params, *active);
  if (!flags) {
    return flags.error();
  }
  if (params.flag("maximum")) {
    if ((*flags & VIR_DOMAIN_AFFECT_LIVE) != 0) {
      return Error{ErrorCode::InvalidArgument,
                   "'maximum' changes only the definition; it cannot be combined with 'live'"};
    }
    // virsh: --maximum implies --config; the running domain keeps its maximum.
    *flags = static_cast<unsigned int>(VIR_DOMAIN_AFFECT_CONFIG) | VIR_DOMAIN_VCPU_MAXIMUM;
  }
  if (params.flag("guest")) {
    *flags |= VIR_DOMAIN_VCPU_GUEST;
  }
  if (params.flag("hotpluggable")) {
    *flags |= VIR_DOMAIN_VCPU_HOTPLUGGABLE;
  }
  const auto count = static_cast<unsigned int>(params.integer("count"));
  if (virDomainSetVcpusFlags(owned->domain.get(), count, *flags) < 0) {
    return virt::lastError(
        fmt::format("setting the vCPUs of domain '{}' to {}", invocation.name, count));
  }
  return withNote(
      fmt::format("{} {} vCPUs", params.flag("maximum") ? "maximum set to" : "set to", count),
      nextBootNote(*active, *flags));
}

util::Result<Outcome> resizeMemory(const VmOperationDeps& deps, const Invocation& invocation,
                                   bool maximum) {
  const lifecycle::Params& params = invocation.params;
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto bytes = parseScaledSize(params.string("size"), kKiB);
  if (!bytes) {
    return bytes.error();
  }
  const std::uint64_t kib = *bytes / kKiB;
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  auto flags = affectFlags(params, *active);
  if (!flags) {
    return flags.error();
  }
  if (maximum && *active && !anyAffectFlag(params)) {
    // QEMU cannot change the maximum of a running domain; change the definition and say so
    // rather than fail.
    *flags = VIR_DOMAIN_AFFECT_CONFIG;
  }
  if (maximum) {
    *flags |= VIR_DOMAIN_MEM_MAXIMUM;
  }
  if (virDomainSetMemoryFlags(owned->domain.get(), kib, *flags) < 0) {
    return virt::lastError(fmt::format("setting the {}memory of domain '{}' to {} KiB",
                                       maximum ? "maximum " : "", invocation.name, kib));
  }
  return withNote(fmt::format("{}memory set to {} KiB", maximum ? "maximum " : "", kib),
                  nextBootNote(*active, *flags));
}

util::Result<Outcome> resizeVm(const VmOperationDeps& deps, const Invocation& invocation) {
  const lifecycle::Params& params = invocation.params;
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto bytes = parseScaledSize(params.string("size"), kKiB);
  if (!bytes) {
    return bytes.error();
  }
  const std::string path = params.string("path");
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  if (*active) {
    if (virDomainBlockResize(owned->domain.get(), path.c_str(), *bytes,
                             VIR_DOMAIN_BLOCK_RESIZE_BYTES) < 0) {
      return virt::lastError(
          fmt::format("resizing disk '{}' of domain '{}'", path, invocation.name));
    }
    return Outcome{.message =
                       fmt::format("disk '{}' resized to {} bytes while running", path, *bytes)};
  }
  // A shut-off domain has no block job to ask; resize its image file directly.
  auto xml = owned->domain.xml(VIR_DOMAIN_XML_INACTIVE);
  if (!xml) {
    return xml.error();
  }
  auto disks = listDomainDisks(*xml);
  if (!disks) {
    return disks.error();
  }
  const DomainDisk* disk = findDisk(*disks, path);
  if (disk == nullptr || disk->type != "file" || disk->source.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("domain '{}' has no file-backed disk '{}'", invocation.name, path)};
  }
  std::vector<std::string> argv = {deps.settings.qemu_img, "resize", "-q"};
  if (!disk->format.empty()) {
    argv.insert(argv.end(), {"-f", disk->format});
  }
  argv.insert(argv.end(), {disk->source, std::to_string(*bytes)});
  auto run = util::runProgram(argv);
  if (!run) {
    return run.error().withContext(fmt::format("resizing disk '{}'", disk->source));
  }
  if (auto checked = util::checkSucceeded(argv, *run); !checked) {
    return checked.error().withContext(fmt::format("resizing disk '{}'", disk->source));
  }
  return Outcome{.message = fmt::format("disk '{}' resized to {} bytes", disk->source, *bytes)};
}

std::vector<ParamSpec> withFlags(std::vector<ParamSpec> params) {
  for (ParamSpec& flag : affectParams(false, false)) {
    params.push_back(std::move(flag));
  }
  return params;
}

ParamSpec sizeParam(const char* help) {
  return {.name = "size",
          .type = ParamType::String,
          .required = true,
          .help = help,
          .validator = scaledSizeValidator(kKiB)};
}

}  // namespace

void addTuningOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  table.add(
      {.kind = kKind,
       .key = "changeNumberOfCPU",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "count",
                             .type = ParamType::Integer,
                             .required = true,
                             .min = 1,
                             .max = 4096,
                             .help = "number of virtual CPUs"},
                            {.name = "maximum",
                             .type = ParamType::Boolean,
                             .help = "set the maximum instead (definition only, next boot)"},
                            {.name = "guest",
                             .type = ParamType::Boolean,
                             .help = "change the CPUs the guest OS uses (guest agent)"},
                            {.name = "hotpluggable",
                             .type = ParamType::Boolean,
                             .help = "added vCPUs can be unplugged again"}}),
       .summary = "Set the number of virtual CPUs, in place on a running domain where possible "
                  "(virsh setvcpus).",
       .handler =
           [&deps](const Invocation& invocation) { return changeNumberOfCpu(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "resizeRAM",
       .name_field = "domain",
       .params =
           withFlags({domainParam(), sizeParam("new memory size in KiB, or with a unit (1G)")}),
       .summary = "Set the current memory (balloon) size (virsh setmem).",
       .handler =
           [&deps](const Invocation& invocation) { return resizeMemory(deps, invocation, false); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "resizeMaxRAM",
       .name_field = "domain",
       .params =
           withFlags({domainParam(), sizeParam("new maximum memory in KiB, or with a unit (2G)")}),
       .summary = "Set the maximum memory; on a running domain it takes effect at the next "
                  "boot (virsh setmaxmem).",
       .handler =
           [&deps](const Invocation& invocation) { return resizeMemory(deps, invocation, true); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
  table.add(
      {.kind = kKind,
       .key = "resizeVM",
       .name_field = "domain",
       .params = {domainParam(),
                  {.name = "path",
                   .type = ParamType::String,
                   .required = true,
                   .help = "the disk: its target (vda) or its file"},
                  sizeParam("new disk size in KiB, or with a unit (20G)")},
       .summary = "Grow a disk, in place while the domain runs (virsh blockresize).",
       .handler = [&deps](const Invocation& invocation) { return resizeVm(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
}

}  // namespace univirt::virtctl::vm
