#pragma once

// Internals shared by the generated texts (help, Markdown, CRD schema descriptions): how one
// parameter's type and constraints read in words, from the table only.

#include <string>
#include <vector>

#include "core/lifecycle/operation.h"
#include "core/lifecycle/param_spec.h"

namespace univirt::lifecycle::detail {

// "integer 1..4096", "path, required", "string, one of: acpi, agent", "boolean" — the real
// type and constraints, as a user writes the value.
enum class Required { Hide, Show };
std::string paramConstraints(const ParamSpec& param, Required required = Required::Show);

// What the CRD schema and docs say a value may look like on the wire, e.g. for Integer
// `an integer or a string of digits ("1024")`.
std::string wireForm(ParamType type);

// Parameters a user may set, in table order: not Unsupported and not the name field.
std::vector<const ParamSpec*> settableParamsOf(const OperationSpec& operation);
std::vector<const ParamSpec*> unsupportedParamsOf(const OperationSpec& operation);

}  // namespace univirt::lifecycle::detail
