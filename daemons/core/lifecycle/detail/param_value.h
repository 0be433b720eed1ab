#pragma once

// Internals of request validation (operation_table.cpp): one parameter value against its
// ParamSpec, path normalisation, and the helpers that keep user input safe to put in messages.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/lifecycle/param_spec.h"
#include "core/util/result.h"

namespace univirt::lifecycle::detail {

// Checks `value` as the request carried it against `spec` (type, range, control characters,
// path roots, allowed values, then spec.validator) and returns the typed value. The error
// message is the reason only ("expected an integer, got a boolean"); the caller prefixes the
// field path. Unsupported params are the caller's business.
util::Result<ParamValue> checkParamValue(const ParamSpec& spec, const nlohmann::json& value,
                                         const ValidationContext& context);

// "/a/./b//c/" → "/a/b/c". Refuses empty and relative paths and '..' components; purely
// lexical (symbolic links are not resolved).
util::Result<std::string> normalizePath(std::string_view path);

// True when the normalised `path` is `root` or lies below it: root "/var/lib/libvirt" admits
// "/var/lib/libvirt/x" but not "/var/lib/libvirtx". `root` is normalised first; an invalid
// root admits nothing.
bool isUnderRoot(std::string_view path, std::string_view root);

// The text form a value is compared and stored in: strings as they are, integers in decimal,
// booleans as "true"/"false".
std::string valueText(const ParamValue& value);

// A decimal rendering of `number` without exponent form: 1e+20 → "100000000000000000000",
// 1.5e-07 → "0.00000015", 100.0 → "100".
std::string fixedNotation(double number);

// User text made safe for a message or log line: control characters become \xNN, and text
// longer than `max` bytes is cut with "...".
std::string printable(std::string_view text, std::size_t max = 64);

// "a boolean", "an object", "the string 'abc'", "the number 1.5" — for "expected X, got Y".
std::string describeJson(const nlohmann::json& value);

}  // namespace univirt::lifecycle::detail
