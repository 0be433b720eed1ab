#pragma once

// The one table of lifecycle operations, and request validation against it.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation.h"
#include "core/util/result.h"

namespace univirt::lifecycle {

// Upstream matches a lifecycle key by lower-casing it and comparing with the constant name
// stripped of `_CMD` and underscores; for camelCase keys that is plain case-insensitivity.
std::string matchKey(std::string_view key);

struct RequestError {
  std::string operation;  // the key as the user wrote it, when there was one
  std::string message;    // names the field: "spec.lifecycle.startVM.paused: expected a boolean…"
};

class OperationTable {
 public:
  // Adds an operation; a second entry with the same kind and matching key is a programming
  // error (UNIVIRT_CHECK).
  void add(OperationSpec operation);

  const OperationSpec* find(std::string_view kind, std::string_view key) const;
  std::vector<const OperationSpec*> operationsOf(std::string_view kind) const;
  std::vector<std::string> kinds() const;  // in order of first appearance
  const std::vector<OperationSpec>& all() const { return operations_; }

  // Validates `.spec.lifecycle` of an object of `kind` named `name`: exactly one key, a known
  // operation for that kind, every parameter known, typed, in range and inside the path roots,
  // every required parameter present. On success the params hold typed values plus the name
  // field. Nothing is executed here.
  struct Request {
    const OperationSpec* operation = nullptr;
    Params params;
  };
  util::Result<Request> validate(std::string_view kind, std::string_view name,
                                 const nlohmann::json& lifecycle, const ValidationContext& context,
                                 RequestError* error_detail = nullptr) const;

 private:
  std::vector<OperationSpec> operations_;
};

// `virtctl --help` text: every operation of every kind with its parameters.
std::string renderHelp(const OperationTable& table);

// The OpenAPI v3 schema of `spec.lifecycle` for one kind: one optional property per operation
// (canonical key), each an object whose properties are its parameters (int-or-string where
// upstream sends strings) and which keeps unknown fields so that validation, not pruning,
// rejects them.
nlohmann::json lifecycleSchema(const OperationTable& table, std::string_view kind);

// Markdown reference of every operation, for docs/operations.md.
std::string renderMarkdown(const OperationTable& table);

}  // namespace univirt::lifecycle
