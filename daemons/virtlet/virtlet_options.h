#pragma once

// virtlet's own configuration options (the common ones come from core/util/config.h) and the
// few values derived from them.

#include <span>
#include <string>

#include "core/util/config.h"

namespace univirt::virtlet {

std::span<const util::ConfigOption> virtletOptions();

// `--node-name`, else NODE_NAME (the DaemonSet's downward API), else the lower-cased host
// name, as upstream's socket.gethostname().lower().
std::string resolveNodeName(const util::Config& config, const util::Environment& env);

// Where objects virtlet creates itself go (adopted domains, disk images, GPUs, pool leases):
// `--namespace` when set, else "default" as upstream.
std::string homeNamespace(const util::Config& config);

}  // namespace univirt::virtlet
