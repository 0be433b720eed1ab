#pragma once

// A JSON document as block-style YAML, deterministically: keys in the order the document
// holds them, two-space indentation, sequences indented under their key, and every string
// that YAML could read as something else (numbers, booleans, null, text with ':' or '#',
// empty strings) written in double quotes with JSON escapes, which YAML reads the same way.
// Enough for CRDs; not a general YAML emitter.

#include <string>

#include <nlohmann/json.hpp>

namespace univirt::crdgen {

std::string toYaml(const nlohmann::ordered_json& document);

}  // namespace univirt::crdgen
