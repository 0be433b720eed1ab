#pragma once

// virtmonitor's own configuration options (the common ones come from core/util/config.h).

#include <span>
#include <string>

#include "core/util/config.h"

namespace univirt::virtmonitor {

std::span<const util::ConfigOption> virtmonitorOptions();

// `--node-name`, else NODE_NAME (the DaemonSet's downward API), else the lower-cased host
// name, as upstream's socket.gethostname().lower() (the same rule as virtctl's).
std::string resolveNodeName(const util::Config& config, const util::Environment& env);

}  // namespace univirt::virtmonitor
