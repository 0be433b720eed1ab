#include "virtctl/vm/vm_refresh.h"

#include <fmt/format.h>

#include "core/virt/domain_xml.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {

using lifecycle::Phase;
using lifecycle::Settlement;
using util::ErrorCode;
using virt::PowerState;

std::string powerStateReason(PowerState state) {
  switch (state) {
    case PowerState::NoState:
    case PowerState::Running:
    case PowerState::Blocked:
      return "Running";
    case PowerState::Paused:
      return "Paused";
    case PowerState::ShuttingDown:
    case PowerState::Shutoff:
      return "Shutdown";
    case PowerState::Crashed:
      return "Crashed";
    case PowerState::PmSuspended:
      return "Unknown";
  }
  return "Unknown";
}

Phase phaseForPowerState(PowerState state) {
  const std::string reason = powerStateReason(state);
  if (reason == "Running") {
    return Phase::Running;
  }
  if (reason == "Paused") {
    return Phase::Paused;
  }
  if (reason == "Shutdown") {
    return Phase::Succeeded;
  }
  if (reason == "Crashed") {
    return Phase::Failed;
  }
  return Phase::Unknown;
}

lifecycle::Refresh vmRefresh(const VmOperationDeps& deps) {
  return [&deps](const lifecycle::Invocation& invocation) { return refreshVm(deps, invocation); };
}

util::Result<lifecycle::Refreshed> refreshVm(const VmOperationDeps& deps,
                                             const lifecycle::Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  // Flags 0: the live definition of a running domain, and never secrets such as VNC passwords
  // (those need VIR_DOMAIN_XML_SECURE).
  auto xml = owned->domain.xml(0);
  if (!xml) {
    return xml.error();
  }
  auto state = owned->domain.state();
  if (!state) {
    return state.error();
  }
  auto json = virt::domainXmlToJson(*xml);
  if (!json) {
    return json.error().withContext(
        fmt::format("converting the XML of domain '{}'", owned->domain.name()));
  }
  const std::string reason = powerStateReason(*state);
  lifecycle::Refreshed refreshed;
  refreshed.spec_fields = nlohmann::json::object();
  refreshed.spec_fields["domain"] = nlohmann::json((*json)["domain"]);
  refreshed.spec_fields["nodeName"] = deps.settings.node_name;
  refreshed.spec_fields["powerstate"] = reason;
  refreshed.reason = reason;
  refreshed.message = fmt::format("The VM is {}", reason);
  refreshed.phase = phaseForPowerState(*state);
  refreshed.status_fields = nlohmann::json{{"nodeName", deps.settings.node_name}};
  return refreshed;
}

lifecycle::Settle settleWhen(const VmOperationDeps& deps, Expectation expectation) {
  return [&deps, expectation](const lifecycle::Invocation& invocation) -> util::Result<Settlement> {
    auto owned = openOwnedDomain(deps, invocation);
    if (!owned) {
      if (owned.error().code != ErrorCode::NotFound) {
        return owned.error();
      }
      return expectation == Expectation::Gone ? Settlement::TookEffect
                                              : Settlement::DidNotTakeEffect;
    }
    if (expectation == Expectation::Gone) {
      return Settlement::DidNotTakeEffect;
    }
    if (expectation == Expectation::Defined) {
      return Settlement::TookEffect;
    }
    auto state = owned->domain.state();
    if (!state) {
      return state.error();
    }
    const std::string reason = powerStateReason(*state);
    switch (expectation) {
      case Expectation::Active:
        return reason == "Running" || reason == "Paused" ? Settlement::TookEffect
                                                         : Settlement::DidNotTakeEffect;
      case Expectation::Shutoff:
        return *state == PowerState::Shutoff ? Settlement::TookEffect
                                             : Settlement::DidNotTakeEffect;
      case Expectation::ShutdownRequested:
        return reason == "Shutdown" ? Settlement::TookEffect : Settlement::Unknown;
      case Expectation::Paused:
        return reason == "Paused" ? Settlement::TookEffect : Settlement::DidNotTakeEffect;
      case Expectation::Running:
        return reason == "Running" ? Settlement::TookEffect : Settlement::DidNotTakeEffect;
      case Expectation::Defined:
      case Expectation::Gone:
        break;
    }
    return Settlement::Unknown;
  };
}

}  // namespace univirt::virtctl::vm
