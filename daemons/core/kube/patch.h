#pragma once

// Read-modify-write with optimistic concurrency (client-go's retry.RetryOnConflict around a
// Get + Update): re-read the object, apply the mutation, PUT it with the resourceVersion just
// read; on 409 Conflict start again from the read, at most `max_attempts` times.
//
// The mutation may be called several times, each time on a fresh copy of the server's object,
// so it must be a pure function of that object (no side effects, no counters).

#include <functional>
#include <stop_token>

#include "core/kube/client.h"

namespace univirt::kube {

enum class Mutation {
  Changed,    // write the mutated object
  Unchanged,  // nothing to do: return the object as read, without a write
};

using MutateFn = std::function<util::Result<Mutation>(Object& object)>;

struct UpdateOptions {
  // client-go's DefaultRetry allows 5 steps; conflicts clear up as soon as we re-read, so
  // there is no delay between attempts.
  int max_attempts = 5;
  // Write through the status subresource instead of the main resource.
  bool status = false;
};

// Returns the object as stored after the write (or as read when the mutation changed nothing).
// Errors: the get's (NotFound, ...), the mutation's own, the update's; Conflict after
// `max_attempts` conflicting writes.
util::Result<Object> updateWithRetry(Client& client, const ResourceRef& ref, const ObjectKey& key,
                                     const MutateFn& mutate, const UpdateOptions& options = {},
                                     std::stop_token stop = {});

// An RFC 7386 merge patch that turns `original` into `modified` (null removes a field; arrays
// are replaced whole). Empty object when they are equal.
nlohmann::json createMergePatch(const nlohmann::json& original, const nlohmann::json& modified);

}  // namespace univirt::kube
