#include "core/lifecycle/operation.h"

#include <algorithm>

namespace univirt::lifecycle {

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::Pending:
      return "Pending";
    case Phase::Running:
      return "Running";
    case Phase::Paused:
      return "Paused";
    case Phase::Succeeded:
      return "Succeeded";
    case Phase::Failed:
      return "Failed";
    case Phase::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

const ParamSpec* OperationSpec::findParam(std::string_view name) const {
  const auto it = std::find_if(params.begin(), params.end(),
                               [&](const ParamSpec& param) { return param.name == name; });
  return it == params.end() ? nullptr : &*it;
}

}  // namespace univirt::lifecycle
