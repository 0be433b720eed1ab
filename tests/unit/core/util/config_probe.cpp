// config_probe: a tiny daemon main() for main_runner_test. It runs util::runMain() with a
// schema of the common options plus a few of every type, and prints each resolved value as
// "name=value (source)" on stdout, so a test can check exit codes, the one-line errors on
// stderr and the layering of file, environment and flags in a real process.
// --fail=exception makes the body throw; --fail=usage makes it throw util::UsageError.

#include <cstdio>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "core/util/config.h"
#include "core/util/log.h"
#include "core/util/main_runner.h"

namespace {

using univirt::util::ConfigOption;
using univirt::util::OptionType;

constexpr std::string_view kFailModes[] = {"none", "exception", "usage"};

const ConfigOption kProbeOptions[] = {
    {.name = "workers",
     .env = "UNIVIRT_WORKERS",
     .flag = "--workers",
     .type = OptionType::Int,
     .default_value = "4",
     .help = "parallel workers",
     .min = 1,
     .max = 64},
    {.name = "dry-run",
     .env = "UNIVIRT_DRY_RUN",
     .flag = "--dry-run",
     .type = OptionType::Bool,
     .default_value = "false",
     .help = "change nothing"},
    {.name = "fail",
     .env = "",
     .flag = "--fail",
     .type = OptionType::Enum,
     .default_value = "none",
     .help = "how the body fails",
     .allowed = kFailModes},
};

}  // namespace

int main(int argc, char** argv) {
  univirt::util::ConfigSchema schema("probe", "Prints its resolved configuration", kProbeOptions);
  return univirt::util::runMain(schema, argc, argv, [&](const univirt::util::Config& config) {
    if (config.getString("fail") == "exception") {
      throw std::runtime_error("probe body failed");
    }
    if (config.getString("fail") == "usage") {
      throw univirt::util::UsageError("--workers: too many for this node");
    }
    univirt::log::info("probe started", {{"workers", config.getInt("workers")}});
    for (const ConfigOption& option : schema.options()) {
      std::string value;
      switch (option.type) {
        case OptionType::Int:
          value = std::to_string(config.getInt(option.name));
          break;
        case OptionType::Bool:
          value = config.getBool(option.name) ? "true" : "false";
          break;
        case OptionType::Duration:
          value = fmt::format("{}ms", config.getDuration(option.name).count());
          break;
        default:
          value = config.getString(option.name);
      }
      std::fputs(
          fmt::format("{}={} ({})\n", option.name, value, config.source(option.name)).c_str(),
          stdout);
    }
    return 0;
  });
}
