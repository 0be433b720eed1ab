#pragma once

// List/watch query options shared by list, watch and deletecollection: selectors,
// resourceVersion/resourceVersionMatch validation and continue tokens (§2.4, §2.6–§2.8).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/request.h"
#include "kube-lite/resource_type.h"
#include "kube-lite/selectors.h"

namespace univirt::kubelite {

struct ListOptions {
  LabelSelector labels;
  FieldSelector fields;
  size_t limit = 0;
  std::string continue_after;  // decoded position
  bool has_selectors = false;

  bool matches(const nlohmann::json& object) const {
    const nlohmann::json& meta = object["metadata"];
    static const nlohmann::json kEmpty = nlohmann::json::object();
    return labels.matches(meta.contains("labels") ? meta["labels"] : kEmpty) &&
           fields.matches(object);
  }
};

// Parses selectors, limit and continue; validates resourceVersion/resourceVersionMatch for a
// list (`watch` false) or a watch.
std::optional<ApiError> parseListOptions(const Request& req, const ResourceType& type, bool watch,
                                         ListOptions& out);

std::string encodeContinue(int64_t rv, const std::string& after);
bool decodeContinue(const std::string& token, std::string& after);

}  // namespace univirt::kubelite
