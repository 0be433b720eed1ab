#pragma once

// One entry of the operation table: everything univirt knows about a lifecycle operation.
// Help text, request validation, the CRD schema, docs and tests are all derived from it.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/lifecycle/param_spec.h"
#include "core/util/result.h"

namespace univirt::lifecycle {

struct OperationSpec;

// The user-visible state of the object afterwards, in the vocabulary KubeVirt users know.
enum class Phase { Pending, Running, Paused, Succeeded, Failed, Unknown };
std::string_view phaseName(Phase phase);

// A validated request, handed to a handler. `params` already holds the object's name under
// the operation's name field (upstream injects it and overwrites any user value).
struct Invocation {
  const OperationSpec* operation = nullptr;
  nlohmann::json object;  // the object as taken (spec.lifecycle removed)
  std::string namespace_name;
  std::string name;
  Params params;
  std::string request_id;
};

// What a handler reports besides success.
struct Outcome {
  std::string message;                   // e.g. "takes effect at the next boot"; may be empty
  bool object_deleted = false;           // the handler removed the object (deleteVM, deleteDisk)
  nlohmann::json spec_fields = nullptr;  // object: keys to set in .spec (storage handlers)
};

// The object's state read back after the handler ran (upstream's "queryCmd").
struct Refreshed {
  nlohmann::json spec_fields =
      nlohmann::json::object();                    // keys replaced in .spec (domain, powerstate…)
  std::string reason = "Ready";                    // .spec.status…waiting.reason
  std::string message = "The resource is ready.";  // .spec.status…waiting.message
  Phase phase = Phase::Succeeded;                  // .status.phase
  nlohmann::json status_fields =
      nlohmann::json::object();  // extra .status keys (nodeName, interfaces)
};

using Handler = std::function<util::Result<Outcome>(const Invocation& invocation)>;
using Refresh = std::function<util::Result<Refreshed>(const Invocation& invocation)>;

// Decides after a crash whether a taken-but-unfinished request took effect, from the
// backend's real state (never by running it again). Absent: the outcome is recorded as
// Unknown with the refreshed state.
enum class Settlement { TookEffect, DidNotTakeEffect, Unknown };
using Settle = std::function<util::Result<Settlement>(const Invocation& invocation)>;

// Which libvirt a test of this operation needs (issue #6: two test tiers).
enum class TestTier { TestDriver, RealLibvirtd, NotLibvirt };

struct OperationSpec {
  std::string kind;             // "VirtualMachine"
  std::string key;              // canonical spelling: "createAndStartVMFromISO"
  std::string name_field = {};  // parameter the object's name is injected into: "domain", "name", …
  std::vector<ParamSpec> params = {};
  std::string summary = {};  // one line for --help and docs
  Handler handler = {};
  Refresh refresh = {};  // empty: nothing is read back (upstream Query `none`)
  Settle settle = {};
  TestTier test_tier = TestTier::TestDriver;

  const ParamSpec* findParam(std::string_view name) const;
};

}  // namespace univirt::lifecycle
