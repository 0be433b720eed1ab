#include "core/util/config.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace univirt::util {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kModes[] = {"fast", "safe"};
const ConfigOption kOwnOptions[] = {
    {.name = "workers",
     .env = "UNIVIRT_WORKERS",
     .flag = "--workers",
     .type = OptionType::Int,
     .default_value = "4",
     .help = "parallel workers",
     .min = 1,
     .max = 64},
    {.name = "mode",
     .env = "UNIVIRT_MODE",
     .flag = "--mode",
     .type = OptionType::Enum,
     .default_value = "safe",
     .help = "how to copy | what to copy",
     .allowed = kModes},
};

TEST(ParseDuration, AcceptsGoStyleDurations) {
  EXPECT_EQ(parseDuration("0").value_or(milliseconds(-1)), milliseconds(0));
  EXPECT_EQ(parseDuration("500ms").value_or(milliseconds(-1)), milliseconds(500));
  EXPECT_EQ(parseDuration("30s").value_or(milliseconds(-1)), milliseconds(30'000));
  EXPECT_EQ(parseDuration("5m").value_or(milliseconds(-1)), milliseconds(300'000));
  EXPECT_EQ(parseDuration("2h").value_or(milliseconds(-1)), milliseconds(7'200'000));
  EXPECT_EQ(parseDuration("1m30s").value_or(milliseconds(-1)), milliseconds(90'000));
  EXPECT_EQ(parseDuration("1h0m5s250ms").value_or(milliseconds(-1)), milliseconds(3'605'250));
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (std::string_view bad :
       {"", "5", "5x", "-1s", "1.5s", "s", "ms", "5 s", "1s2", "10d", "99999999999999999h"}) {
    auto parsed = parseDuration(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().message,
              "'" + std::string(bad) + "' is not a duration such as 500ms, 30s or 5m");
  }
}

TEST(CheckValue, ExplainsWhatIsExpected) {
  ConfigSchema schema("virtctl", "test", kOwnOptions);
  auto message = [&](std::string_view name, std::string_view text) {
    auto checked = checkValue(*schema.find(name), text);
    return checked ? std::string("ok") : checked.error().message;
  };
  EXPECT_EQ(message("workers", "8"), "ok");
  EXPECT_EQ(message("workers", "abc"), "must be an integer from 1 to 64, got 'abc'");
  EXPECT_EQ(message("workers", "65"), "must be an integer from 1 to 64, got '65'");
  EXPECT_EQ(message("workers", ""), "must be an integer from 1 to 64, got ''");
  EXPECT_EQ(message("log-level", "loud"), "must be one of trace|debug|info|warn|error, got 'loud'");
  EXPECT_EQ(message("stop-timeout", "soon"),
            "must be a duration such as 500ms, 30s or 5m, got 'soon'");
  EXPECT_EQ(message("health-address", "localhost"),
            "must be host:port such as 127.0.0.1:19990, got 'localhost'");
  EXPECT_EQ(message("health-address", "127.0.0.1:65536"),
            "must be host:port such as 127.0.0.1:19990, got '127.0.0.1:65536'");
  EXPECT_EQ(message("health-address", "[::1]:0"), "ok");
  EXPECT_EQ(message("health-address", ""), "ok");
  EXPECT_EQ(message("kubeconfig", "any text at all"), "ok");
}

TEST(CheckValue, ReadsBooleans) {
  ConfigOption option{.name = "dry-run", .type = OptionType::Bool};
  for (std::string_view yes : {"true", "yes", "on", "1", "false", "no", "off", "0"}) {
    EXPECT_TRUE(checkValue(option, yes).has_value()) << yes;
  }
  auto bad = checkValue(option, "maybe");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "must be true or false, got 'maybe'");
}

TEST(ConfigSchema, PutsCommonOptionsFirst) {
  ConfigSchema schema("virtctl", "test", kOwnOptions);
  std::vector<std::string_view> names;
  for (const ConfigOption& option : schema.options()) {
    names.push_back(option.name);
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"config", "log-level", "log-format", "log-file",
                                                  "health-address", "stop-timeout", "node-name",
                                                  "namespace", "kubeconfig", "workers", "mode"}));
  EXPECT_EQ(schema.find("nope"), nullptr);
  EXPECT_EQ(schema.find("workers")->env, "UNIVIRT_WORKERS");
}

TEST(ConfigSchema, SetDefaultReplacesTheDefault) {
  ConfigSchema schema("virtctl", "test");
  schema.setDefault("health-address", "127.0.0.1:19990");
  auto loaded = loadConfig(schema, std::vector<std::string>{"--config", ""}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getString("health-address"), "127.0.0.1:19990");
  EXPECT_EQ(loaded->config.source("health-address"), "default");
}

TEST(ConfigSchema, DeathOnInvalidDefault) {
  ConfigSchema schema("virtctl", "test");
  EXPECT_DEATH(schema.setDefault("stop-timeout", "soon"), "defaults are valid");
  EXPECT_DEATH(schema.setDefault("no-such-option", "1"), "names an option of the schema");
}

TEST(Config, AccessorsReturnTypedValues) {
  ConfigSchema schema("virtctl", "test", kOwnOptions);
  auto loaded = loadConfig(schema, std::vector<std::string>{"--config", "", "--workers", "16"}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Config& config = loaded->config;
  EXPECT_EQ(config.daemon(), "virtctl");
  EXPECT_EQ(config.getInt("workers"), 16);
  EXPECT_EQ(config.getString("mode"), "safe");
  EXPECT_EQ(config.getDuration("stop-timeout"), milliseconds(20'000));
  EXPECT_EQ(config.getString("log-level"), "info");
  EXPECT_EQ(config.getString("namespace"), "");
  EXPECT_DEATH((void)config.getInt("mode"), "getInt\\(\\) is called for an Int option");
  EXPECT_DEATH((void)config.getString("nope"), "part of the daemon's schema");
}

TEST(RenderMarkdown, WritesOneRowPerOption) {
  ConfigSchema schema("virtctl", "test", kOwnOptions);
  std::string markdown = renderMarkdown(schema);
  EXPECT_TRUE(
      markdown.starts_with("| Key | Flag | Environment | Type | Default | Description |\n"
                           "| --- | --- | --- | --- | --- | --- |\n"
                           "| `config` | `--config` | `UNIVIRT_CONFIG` | string | "
                           "`/etc/univirt/univirt.conf` | configuration file; a missing "
                           "default file is fine, empty reads no file |\n"
                           "| `log-level` | `--log-level` | `UNIVIRT_LOG_LEVEL` | one of "
                           "`trace`, `debug`, `info`, `warn`, `error` | `info` | "
                           "lowest level that is logged |\n"))
      << markdown;
  EXPECT_TRUE(markdown.ends_with(
      "| `workers` | `--workers` | `UNIVIRT_WORKERS` | an integer from 1 to 64 | `4` | parallel "
      "workers |\n"
      "| `mode` | `--mode` | `UNIVIRT_MODE` | one of `fast`, `safe` | `safe` | how to copy \\| "
      "what to copy |\n"))
      << markdown;
  EXPECT_EQ(std::count(markdown.begin(), markdown.end(), '\n'), 2 + 11);
}

TEST(RenderHelp, ListsEveryFlagWithEnvironmentAndDefault) {
  ConfigSchema schema("virtctl", "Runs lifecycle requests", kOwnOptions);
  std::string help = renderHelp(schema);
  EXPECT_NE(help.find("Runs lifecycle requests"), std::string::npos) << help;
  EXPECT_NE(help.find("Usage: virtctl [OPTIONS]"), std::string::npos) << help;
  for (const ConfigOption& option : schema.options()) {
    EXPECT_NE(help.find(std::string(option.flag)), std::string::npos) << option.flag;
    EXPECT_NE(help.find(std::string(option.help)), std::string::npos) << option.help;
  }
  EXPECT_NE(help.find("--log-level trace|debug|info|warn|error"), std::string::npos) << help;
  EXPECT_NE(help.find("(env UNIVIRT_LOG_LEVEL, default info)"), std::string::npos) << help;
  EXPECT_NE(help.find("(env UNIVIRT_LOG_FILE, default empty)"), std::string::npos) << help;
  EXPECT_NE(help.find("--version"), std::string::npos) << help;
  EXPECT_NE(help.find("then UNIVIRT_* environment variables, then flags"), std::string::npos);
}

}  // namespace
}  // namespace univirt::util
