#pragma once

// The OVSDB data notation (RFC 7047 §5.1) in both directions, and builders for the operations
// ovnctl sends. Sets are ["set", [...]] (a one-element set may also arrive as the bare atom),
// maps ["map", [[k, v], ...]], row references ["uuid", "…"] or, inside one transaction,
// ["named-uuid", "name"].

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace univirt::ovnctl::ovsdb {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

// Encoding.
Json uuid(std::string_view id);
Json namedUuid(std::string_view name);
Json set(std::vector<Json> atoms);
Json stringSet(const std::vector<std::string>& values);
Json map(const StringMap& values);
Json emptySet();

// Decoding. Atoms of a set column (bare atom or ["set", …]).
std::vector<Json> atoms(const Json& value);
std::vector<std::string> strings(const Json& value);
// The uuid string of ["uuid", "…"], else empty.
std::string uuidOf(const Json& value);
std::vector<std::string> uuids(const Json& value);
StringMap stringMap(const Json& value);
// An optional integer column (set of 0 or 1).
std::optional<std::int64_t> optionalInteger(const Json& value);
// An optional string column (set of 0 or 1).
std::optional<std::string> optionalString(const Json& value);

// Conditions and operations.
Json where(std::string_view column, std::string_view function, Json value);
Json byName(std::string_view name);
Json byUuid(std::string_view id);
Json select(std::string_view table, Json conditions, std::vector<std::string> columns = {});
Json insert(std::string_view table, Json row, std::string_view uuid_name = {});
Json update(std::string_view table, Json conditions, Json row);
Json mutate(std::string_view table, Json conditions, Json mutations);
Json mutation(std::string_view column, std::string_view mutator, Json value);
Json remove(std::string_view table, Json conditions);
// Fails the transaction unless the rows matching `conditions`, projected to `columns`, equal
// `rows` exactly (an optimistic check that what was read is still true).
Json waitEquals(std::string_view table, Json conditions, std::vector<std::string> columns,
                Json rows);

// The rows of a select result.
const Json& rowsOf(const Json& select_result);

}  // namespace univirt::ovnctl::ovsdb
