#pragma once

// What virtctl reads back after a VirtualMachine operation (upstream's `virshplus dumpxml`,
// crd-contract.md §4.1), and how a request interrupted by a crash is settled from libvirt's
// real state.

#include <string>

#include "core/lifecycle/operation.h"
#include "core/util/result.h"
#include "core/virt/domain.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::vm {

// Upstream's power-state words (§4.1): Running, Paused, Shutdown, Crashed, Unknown.
std::string powerStateReason(virt::PowerState state);
lifecycle::Phase phaseForPowerState(virt::PowerState state);

// spec_fields {domain, nodeName, powerstate}, reason = power state, message "The VM is <R>",
// status_fields {nodeName}. Refuses a domain another namespace owns.
util::Result<lifecycle::Refreshed> refreshVm(const VmOperationDeps& deps,
                                             const lifecycle::Invocation& invocation);

// refreshVm as the table's Refresh of every VirtualMachine row. `deps` must outlive it.
lifecycle::Refresh vmRefresh(const VmOperationDeps& deps);

// The state libvirt shows once an operation took effect.
enum class Expectation {
  Active,             // startVM, createVM, createAndStart*: the domain runs (or is paused)
  Shutoff,            // stopVMForce: not running
  ShutdownRequested,  // stopVM: off or shutting down; still running may just be slow → Unknown
  Paused,             // suspendVM
  Running,            // resumeVM
  Defined,            // the domain exists
  Gone,               // deleteVM: no such domain
};
lifecycle::Settle settleWhen(const VmOperationDeps& deps, Expectation expectation);

}  // namespace univirt::virtctl::vm
