#pragma once

// What a libvirt domain event changes in the matching VirtualMachine (crd-contract.md §6), as
// pure functions over the object's JSON so that every rule is unit-tested without a server.
//
// The refresh writes upstream's places (.spec.domain, .spec.nodeName, .spec.powerstate,
// .spec.status.conditions.state.waiting, .spec.description.lastOperationTimeStamp) and
// univirt's additive .status (phase, nodeName, Ready/Paused conditions), in the shapes
// virtctl's outcome writes (core/lifecycle/object_status.h). One deliberate difference from
// upstream: a pending `.spec.lifecycle` is kept. Upstream's watcher deleted it, which lost a
// request virtctl had not taken yet; here the request belongs to virtctl alone.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/kube/object.h"
#include "core/kube/patch.h"
#include "core/lifecycle/operation.h"

namespace univirt::libvirtwatcher {

// The Event reason and upstream's failure reason for the watcher's own errors.
inline constexpr std::string_view kReasonWatcherError = "VirtletError";
// The label whose presence asks for HA restarts (its value is not read, as upstream).
inline constexpr std::string_view kHaLabel = "ha";

enum class Skip {
  No,
  OtherHost,  // metadata.labels.host names another node: that node's watcher owns it
  Migrating,  // a migrateVM request is pending or running, or the event came from a migration
};
std::string_view skipName(Skip skip);

// Whether the watcher leaves `vm` alone. `migration_event`: the last event of the burst had
// detail Migrated.
Skip skipFor(const kube::Object& vm, std::string_view node, bool migration_event);

// True when univirt itself asked for the domain to stop: a stop, delete, save or migrate
// request is pending (spec.lifecycle), running (the operation annotation) or was the last one
// (status.lastOperation). Such a stop is expected and never triggers an HA restart.
bool stopRequested(const kube::Object& vm);

bool hasHaLabel(const kube::Object& vm);

struct WriteTime {
  std::string rfc3339;        // condition lastTransitionTime
  std::int64_t epoch_ms = 0;  // .spec.description.lastOperationTimeStamp
};

// Applies a refresh (virtctl's refreshVm) to `vm`. Unchanged when the object already shows
// exactly this state, so repeated events for an unchanged domain cost no write.
kube::Mutation applyRefreshed(kube::Object& vm, const lifecycle::Refreshed& refreshed,
                              const WriteTime& time);

// Upstream's report_failure: waiting {reason VirtletError, message}. Unchanged when already so.
kube::Mutation applyFailure(kube::Object& vm, std::string_view message, const WriteTime& time);

}  // namespace univirt::libvirtwatcher
