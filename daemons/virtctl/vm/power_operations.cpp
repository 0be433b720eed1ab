// startVM, stopVM, stopVMForce, rebootVM, resetVM, suspendVM, resumeVM (crd-contract.md §3.1):
// virsh start/shutdown/destroy/reboot/reset/suspend/resume as libvirt calls.

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/virt/virt_error.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_rows.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamType;
using lifecycle::TestTier;
using util::Error;
using util::ErrorCode;

const std::vector<std::string> kShutdownModes = {"acpi", "agent", "initctl", "signal", "paravirt"};

// virsh's --mode words as the flags of virDomainShutdownFlags / virDomainReboot (the two
// enums have the same values).
unsigned int modeFlags(const std::string& mode) {
  if (mode == "acpi") {
    return VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN;
  }
  if (mode == "agent") {
    return VIR_DOMAIN_SHUTDOWN_GUEST_AGENT;
  }
  if (mode == "initctl") {
    return VIR_DOMAIN_SHUTDOWN_INITCTL;
  }
  if (mode == "signal") {
    return VIR_DOMAIN_SHUTDOWN_SIGNAL;
  }
  if (mode == "paravirt") {
    return VIR_DOMAIN_SHUTDOWN_PARAVIRT;
  }
  return 0;
}

util::Result<Outcome> startVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  if (*active) {
    // Upstream tolerated "Domain is already active"; a repeated start is not an error.
    return Outcome{.message = fmt::format("domain '{}' was already running", invocation.name)};
  }
  unsigned int flags = 0;
  if (invocation.params.flag("paused")) {
    flags |= VIR_DOMAIN_START_PAUSED;
  }
  if (invocation.params.flag("bypass-cache")) {
    flags |= VIR_DOMAIN_START_BYPASS_CACHE;
  }
  if (invocation.params.flag("force-boot")) {
    flags |= VIR_DOMAIN_START_FORCE_BOOT;
  }
  if (auto started = owned->domain.start(flags); !started) {
    return started.error();
  }
  return Outcome{};
}

util::Result<Outcome> stopVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  if (!*active) {
    return Outcome{.message = fmt::format("domain '{}' was already shut off", invocation.name)};
  }
  const std::string mode = invocation.params.string("mode");
  if (mode.empty()) {
    if (auto stopped = owned->domain.shutdown(); !stopped) {
      return stopped.error();
    }
  } else if (virDomainShutdownFlags(owned->domain.get(), modeFlags(mode)) < 0) {
    return virt::lastError(
        fmt::format("shutting down domain '{}' with mode '{}'", invocation.name, mode));
  }
  return Outcome{.message = "the guest was asked to shut down; it powers off when it is ready"};
}

util::Result<Outcome> stopVmForce(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  if (!*active) {
    return Outcome{.message = fmt::format("domain '{}' was already shut off", invocation.name)};
  }
  if (invocation.params.flag("graceful")) {
    if (virDomainDestroyFlags(owned->domain.get(), VIR_DOMAIN_DESTROY_GRACEFUL) < 0) {
      return virt::lastError(fmt::format("destroying domain '{}' gracefully", invocation.name));
    }
    return Outcome{};
  }
  if (auto destroyed = owned->domain.destroy(); !destroyed) {
    return destroyed.error();
  }
  return Outcome{};
}

util::Status requireActive(const OwnedDomain& owned, std::string_view verb) {
  auto active = owned.domain.isActive();
  if (!active) {
    return active.error();
  }
  if (!*active) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("domain '{}' is not running, so it cannot be {}; start it first",
                             owned.domain.name(), verb)};
  }
  return util::ok();
}

util::Result<Outcome> rebootVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  if (auto running = requireActive(*owned, "rebooted"); !running) {
    return running.error();
  }
  const std::string mode = invocation.params.string("mode");
  if (virDomainReboot(owned->domain.get(), modeFlags(mode)) < 0) {
    return virt::lastError(fmt::format("rebooting domain '{}'", invocation.name));
  }
  return Outcome{.message = "the guest was asked to reboot"};
}

util::Result<Outcome> resetVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  if (auto running = requireActive(*owned, "reset"); !running) {
    return running.error();
  }
  if (virDomainReset(owned->domain.get(), 0) < 0) {
    return virt::lastError(fmt::format("resetting domain '{}'", invocation.name));
  }
  return Outcome{};
}

util::Result<Outcome> suspendVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  if (auto running = requireActive(*owned, "suspended"); !running) {
    return running.error();
  }
  if (auto suspended = owned->domain.suspend(); !suspended) {
    return suspended.error();
  }
  return Outcome{};
}

util::Result<Outcome> resumeVm(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  if (auto running = requireActive(*owned, "resumed"); !running) {
    return running.error();
  }
  if (auto resumed = owned->domain.resume(); !resumed) {
    return resumed.error();
  }
  return Outcome{};
}

}  // namespace

void addPowerOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  auto handler = [&deps](auto function) -> lifecycle::Handler {
    return [&deps, function](const Invocation& invocation) { return function(deps, invocation); };
  };
  table.add(
      {.kind = kKind,
       .key = "startVM",
       .name_field = "domain",
       .params = {domainParam(),
                  unsupportedParam("console", "a daemon has no terminal to attach a console to"),
                  {.name = "paused",
                   .type = ParamType::Boolean,
                   .help = "leave the domain paused after starting it"},
                  unsupportedParam("autodestroy",
                                   "the domain would die with virtctl's libvirt "
                                   "connection at its next restart"),
                  {.name = "bypass-cache",
                   .type = ParamType::Boolean,
                   .help = "avoid the file system cache when restoring a managed save"},
                  {.name = "force-boot",
                   .type = ParamType::Boolean,
                   .help = "discard a managed save image and boot afresh"},
                  unsupportedParam("pass-fds",
                                   "a daemon cannot pass file descriptors to a domain")},
       .summary = "Start a defined domain (virsh start).",
       .handler = handler(startVm),
       .refresh = refresh,
       .settle = settleWhen(deps, Expectation::Active),
       .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "stopVM",
             .name_field = "domain",
             .params = {domainParam(),
                        {.name = "mode",
                         .type = ParamType::String,
                         .allowed = kShutdownModes,
                         .help = "how the guest is asked to shut down"}},
             .summary = "Ask the guest to shut down (virsh shutdown).",
             .handler = handler(stopVm),
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::ShutdownRequested),
             .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "stopVMForce",
             .name_field = "domain",
             .params = {domainParam(),
                        {.name = "graceful",
                         .type = ParamType::Boolean,
                         .help = "only SIGTERM the emulator; fail instead of SIGKILL"}},
             .summary = "Power the domain off at once (virsh destroy).",
             .handler = handler(stopVmForce),
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::Shutoff),
             .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "rebootVM",
             .name_field = "domain",
             .params = {domainParam(),
                        {.name = "mode",
                         .type = ParamType::String,
                         .allowed = kShutdownModes,
                         .help = "how the guest is asked to reboot"}},
             .summary = "Ask the guest to reboot (virsh reboot).",
             .handler = handler(rebootVm),
             .refresh = refresh,
             .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "resetVM",
             .name_field = "domain",
             .params = {domainParam()},
             .summary = "Reset the domain like a reset button (virsh reset).",
             .handler = handler(resetVm),
             .refresh = refresh,
             .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "suspendVM",
             .name_field = "domain",
             .params = {domainParam()},
             .summary = "Pause the domain's virtual CPUs (virsh suspend).",
             .handler = handler(suspendVm),
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::Paused),
             .test_tier = TestTier::TestDriver});
  table.add({.kind = kKind,
             .key = "resumeVM",
             .name_field = "domain",
             .params = {domainParam()},
             .summary = "Resume a paused domain (virsh resume).",
             .handler = handler(resumeVm),
             .refresh = refresh,
             .settle = settleWhen(deps, Expectation::Running),
             .test_tier = TestTier::TestDriver});
}

}  // namespace univirt::virtctl::vm
