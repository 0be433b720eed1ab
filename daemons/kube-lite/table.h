#pragma once

// meta.k8s.io/v1 Table rendering (kube-api-semantics.md §2.18): Name + printer columns,
// server-rendered ages for `date` columns, PartialObjectMetadata row objects.

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube-lite/resource_type.h"

namespace univirt::kubelite {

inline constexpr const char* kTableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

enum class IncludeObject { None, Metadata, Object };

// duration.HumanDuration from k8s.io/apimachinery.
std::string humanDuration(std::chrono::seconds age);

// Parses "2026-11-27T02:59:14Z"; false when the text is not RFC 3339 UTC.
bool parseTimestamp(const std::string& text, std::chrono::system_clock::time_point& out);
std::string formatTimestamp(std::chrono::system_clock::time_point time);

nlohmann::json tableColumnDefinitions(const ResourceType& type);
nlohmann::json tableRow(const ResourceType& type, const nlohmann::json& object,
                        IncludeObject include, std::chrono::system_clock::time_point now);
nlohmann::json buildTable(const ResourceType& type, const std::vector<nlohmann::json>& objects,
                          IncludeObject include, bool with_columns,
                          std::chrono::system_clock::time_point now);

}  // namespace univirt::kubelite
