#pragma once

// virtctl's own configuration options (the common ones come from core/util/config.h).

#include <span>
#include <string>
#include <vector>

#include "core/util/config.h"

namespace univirt::virtctl {

std::span<const util::ConfigOption> virtctlOptions();

// `--node-name`, else NODE_NAME (the DaemonSet's downward API), else the lower-cased host
// name, as upstream's socket.gethostname().lower().
std::string resolveNodeName(const util::Config& config, const util::Environment& env);

// The comma-separated `path-roots` option as absolute directories.
util::Result<std::vector<std::string>> parsePathRoots(const std::string& text);

// A `migration-uri` / `migration-data-uri` value: a URI template with one `{}` for the ip.
util::Result<std::string> parseMigrationUri(const std::string& option, const std::string& text);

}  // namespace univirt::virtctl
