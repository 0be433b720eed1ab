#pragma once

// libvirtwatcher's own configuration options (the common ones come from core/util/config.h).

#include <span>

#include "core/util/config.h"

namespace univirt::libvirtwatcher {

std::span<const util::ConfigOption> watcherOptions();

}  // namespace univirt::libvirtwatcher
