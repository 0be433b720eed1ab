// loadConfig(): the file, environment and flag layers (config.h, config_loader.cpp).

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/util/config.h"
#include "core/version.h"
#include "test_support.h"

namespace univirt::util {
namespace {

using std::chrono::milliseconds;
using testing::TempDir;
using testing::writeFile;

constexpr std::string_view kKnown =
    "log-level, log-format, log-file, health-address, stop-timeout, node-name, namespace, "
    "kubeconfig, workers, dry-run, resync";

const ConfigOption kOwnOptions[] = {
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
    {.name = "resync",
     .env = "",
     .flag = "",
     .type = OptionType::Duration,
     .default_value = "10m",
     .help = "file-only option"},
};

class LoadConfig : public ::testing::Test {
 protected:
  // Loads with the test's file as --config unless args name another.
  Result<Invocation> load(std::vector<std::string> args, const Environment& env = {}) {
    args.insert(args.begin(), {"--config", path_});
    return loadConfig(schema_, args, env);
  }
  std::string error(std::vector<std::string> args, const Environment& env = {}) {
    auto loaded = load(std::move(args), env);
    return loaded ? std::string("no error") : loaded.error().message;
  }
  void file(const std::string& text) { writeFile(path_, text); }

  TempDir dir_;
  std::string path_ = dir_.file("univirt.conf");
  ConfigSchema schema_{"virtctl", "test daemon", kOwnOptions};
};

TEST_F(LoadConfig, LaterLayersWin) {
  file("log-level = debug\nworkers = 8\n");
  auto from_file = load({});
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  EXPECT_EQ(from_file->config.getString("log-level"), "debug");
  EXPECT_EQ(from_file->config.source("log-level"), path_ + ":1");

  Environment env = {{"UNIVIRT_LOG_LEVEL", "warn"}};
  auto from_env = load({}, env);
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  EXPECT_EQ(from_env->config.getString("log-level"), "warn");
  EXPECT_EQ(from_env->config.source("log-level"), "UNIVIRT_LOG_LEVEL");
  EXPECT_EQ(from_env->config.getInt("workers"), 8);

  auto from_flag = load({"--log-level=error"}, env);
  ASSERT_TRUE(from_flag.has_value()) << from_flag.error().message;
  EXPECT_EQ(from_flag->config.getString("log-level"), "error");
  EXPECT_EQ(from_flag->config.source("log-level"), "--log-level");
  EXPECT_EQ(from_flag->config.source("workers"), path_ + ":2");
  EXPECT_EQ(from_flag->config.source("log-format"), "default");
  EXPECT_EQ(from_flag->config.source("config"), "--config");
}

TEST_F(LoadConfig, TheLastRepeatedFlagWins) {
  file("");
  auto loaded = load({"--workers", "2", "--workers=3"});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getInt("workers"), 3);
}

TEST_F(LoadConfig, ReadsCommentsQuotesSectionsAndCrlf) {
  file(
      "# common\n\n  log-format = json  \r\n"
      "namespace = \"\"\n"
      "[virtlet]\nworkers = not-checked-here\nunknown-to-virtctl = 1\n"
      "[virtctl]\nworkers = 12\nresync = 1m30s\nlog-file = \" /tmp/x.log\"\n"
      "[ virtmonitor ]\nworkers = 99\n");
  auto loaded = load({});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Config& config = loaded->config;
  EXPECT_EQ(config.getString("log-format"), "json");
  EXPECT_EQ(config.getString("namespace"), "");
  EXPECT_EQ(config.getInt("workers"), 12);
  EXPECT_EQ(config.source("workers"), path_ + ":9");
  EXPECT_EQ(config.getDuration("resync"), milliseconds(90'000));
  EXPECT_EQ(config.getString("log-file"), " /tmp/x.log");
}

TEST_F(LoadConfig, SectionValueOverridesTheCommonOne) {
  file("log-level = warn\n[virtctl]\nlog-level = debug\n");
  auto loaded = load({});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getString("log-level"), "debug");
  EXPECT_EQ(loaded->config.source("log-level"), path_ + ":3");
}

TEST_F(LoadConfig, UnknownKeyNamesFileLineAndKnownKeys) {
  file("log-level = info\n\n# typo below\nlog-levle = debug\n");
  EXPECT_EQ(error({}), path_ + ":4: unknown key 'log-levle' (known: " + std::string(kKnown) + ")");
}

TEST_F(LoadConfig, BadValueNamesFileLineAndKey) {
  file("workers = abc\n");
  EXPECT_EQ(error({}), path_ + ":1: 'workers' must be an integer from 1 to 64, got 'abc'");
  file("[virtctl]\n\nstop-timeout = soon\n");
  EXPECT_EQ(error({}),
            path_ + ":3: 'stop-timeout' must be a duration such as 500ms, 30s or 5m, got 'soon'");
  file("log-format = logfmt # comment\n");
  EXPECT_EQ(error({}), path_ + ":1: 'log-format' must be one of text|json, got 'logfmt # comment'");
}

TEST_F(LoadConfig, MalformedLinesAreErrors) {
  file("log-level debug\n");
  EXPECT_EQ(error({}), path_ + ":1: expected 'key = value', got 'log-level debug'");
  file("[virtctl\n");
  EXPECT_EQ(error({}), path_ + ":1: expected '[section]', got '[virtctl'");
  file("[virtctrl]\n");
  EXPECT_EQ(error({}), path_ +
                           ":1: unknown section '[virtctrl]' (known: virtctl, virtlet, "
                           "libvirtwatcher, virtmonitor, kube-lite, sdsctl, ovnctl)");
  file("workers = 2\nlog-level = info\nworkers = 3\n");
  EXPECT_EQ(error({}), path_ + ":3: duplicate key 'workers' (first set on line 1)");
  file("config = /etc/other.conf\n");
  EXPECT_EQ(error({}), path_ +
                           ":1: 'config' cannot be set in the config file; use --config or "
                           "UNIVIRT_CONFIG");
}

TEST_F(LoadConfig, MissingDefaultFileIsFine) {
  // A default path that does not exist; the real /etc/univirt/univirt.conf may on this machine.
  std::string missing = dir_.file("absent.conf");
  ConfigSchema schema("virtctl", "test");
  schema.setDefault("config", missing);
  auto loaded = loadConfig(schema, std::vector<std::string>{}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getString("config"), missing);
  EXPECT_EQ(loaded->config.getString("log-level"), "info");
}

TEST_F(LoadConfig, EmptyConfigPathReadsNoFile) {
  auto loaded = loadConfig(schema_, std::vector<std::string>{"--config", ""}, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getString("config"), "");
  EXPECT_EQ(loaded->config.source("config"), "--config");
}

TEST_F(LoadConfig, MissingExplicitFileIsAnError) {
  std::string missing = dir_.file("nope.conf");
  auto by_flag = loadConfig(schema_, std::vector<std::string>{"--config", missing}, {});
  ASSERT_FALSE(by_flag.has_value());
  EXPECT_EQ(by_flag.error().code, ErrorCode::NotFound);
  EXPECT_EQ(by_flag.error().message,
            missing + ": cannot read config file: No such file or directory");

  auto by_env = loadConfig(schema_, std::vector<std::string>{}, {{"UNIVIRT_CONFIG", missing}});
  ASSERT_FALSE(by_env.has_value());
  EXPECT_EQ(by_env.error().message,
            missing + ": cannot read config file: No such file or directory");
}

TEST_F(LoadConfig, UnreadableFileIsAnError) {
  // A directory cannot be read as a file, even by root (tests may run as root, for whom
  // permission bits do not stop a read).
  auto loaded = loadConfig(schema_, std::vector<std::string>{"--config", dir_.path().string()}, {});
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().message,
            dir_.path().string() + ": cannot read config file: Is a directory");
}

TEST_F(LoadConfig, BadEnvironmentValueNamesTheVariable) {
  file("");
  EXPECT_EQ(error({}, {{"UNIVIRT_LOG_LEVEL", "loud"}}),
            "UNIVIRT_LOG_LEVEL: must be one of trace|debug|info|warn|error, got 'loud'");
  EXPECT_EQ(error({}, {{"UNIVIRT_WORKERS", "0"}}),
            "UNIVIRT_WORKERS: must be an integer from 1 to 64, got '0'");
}

TEST_F(LoadConfig, UnknownEnvironmentVariableIsAWarning) {
  file("");
  auto loaded = load({}, {{"UNIVIRT_LOG_LEVLE", "debug"}, {"HOME", "/root"}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.warnings(),
            (std::vector<std::string>{"environment variable UNIVIRT_LOG_LEVLE is not an option "
                                      "of virtctl and was ignored"}));
}

TEST_F(LoadConfig, BadFlagsNameTheFlag) {
  file("");
  EXPECT_EQ(error({"--log-level", "loud"}),
            "--log-level: must be one of trace|debug|info|warn|error, got 'loud'");
  EXPECT_EQ(error({"--health-address=localhost"}),
            "--health-address: must be host:port such as 127.0.0.1:19990, got 'localhost'");
  EXPECT_EQ(error({"--dry-run=maybe"}), "--dry-run: must be true or false, got 'maybe'");
  EXPECT_EQ(error({"--log-levle=debug"}), "--log-levle: unknown flag (see --help)");
  EXPECT_EQ(error({"--resync", "1m"}), "--resync: unknown flag (see --help)");
  EXPECT_EQ(error({"start"}), "unexpected argument 'start' (see --help)");
  EXPECT_EQ(error({"--workers"}), "--workers: missing value");
}

TEST_F(LoadConfig, FlagWithEqualsAndNothingMeansEmpty) {
  file("log-file = /var/log/virtctl.log\n");
  auto loaded = load({"--log-file="});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->config.getString("log-file"), "");
  EXPECT_EQ(loaded->config.source("log-file"), "--log-file");
  EXPECT_EQ(error({"--workers="}), "--workers: must be an integer from 1 to 64, got ''");
}

TEST_F(LoadConfig, BoolFlagAloneMeansTrue) {
  file("dry-run = yes\n");
  auto from_file = load({});
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  EXPECT_TRUE(from_file->config.getBool("dry-run"));
  auto off = load({"--dry-run=false"});
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_FALSE(off->config.getBool("dry-run"));
  file("");
  auto on = load({"--dry-run"});
  ASSERT_TRUE(on.has_value()) << on.error().message;
  EXPECT_TRUE(on->config.getBool("dry-run"));
}

TEST_F(LoadConfig, HelpAndVersionAskToPrintAndExit) {
  auto help = loadConfig(schema_, std::vector<std::string>{"--help"}, {});
  ASSERT_TRUE(help.has_value());
  EXPECT_EQ(help->action, Invocation::Action::PrintAndExit);
  EXPECT_EQ(help->text, renderHelp(schema_));

  auto version = loadConfig(schema_, std::vector<std::string>{"--version"}, {});
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->action, Invocation::Action::PrintAndExit);
  EXPECT_EQ(version->text, std::string("virtctl ") + kVersion + " (commit " + kGitCommit + ")\n");
}

}  // namespace
}  // namespace univirt::util
