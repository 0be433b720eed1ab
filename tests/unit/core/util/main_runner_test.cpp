#include "core/util/main_runner.h"

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/util/exec.h"
#include "core/util/log.h"
#include "test_support.h"

namespace univirt::util {
namespace {

using testing::TempDir;
using testing::writeFile;

constexpr std::string_view kProbeKnown =
    "log-level, log-format, log-file, health-address, stop-timeout, node-name, namespace, "
    "kubeconfig, workers, dry-run, fail";

// Runs the config_probe executable (a real daemon main) with argv and exactly `env`.
ExecResult runProbe(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), UNIVIRT_CONFIG_PROBE);
  auto result = runProgram(args, {.env = std::move(env)});
  EXPECT_TRUE(result.has_value()) << result.error().message;
  return result ? *result : ExecResult{};
}

TEST(ConfigProbe, UnknownKeyExits2WithOneLine) {
  TempDir dir;
  std::string path = dir.file("univirt.conf");
  writeFile(path, "# node settings\nlog-level = debug\n[probe]\nlog-levle = debug\n");
  auto result = runProbe({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "probe: " + path + ":4: unknown key 'log-levle' (known: " +
                            std::string(kProbeKnown) + ")\n");
  EXPECT_EQ(result.out, "");
}

TEST(ConfigProbe, BadNumberExits2WithOneLine) {
  TempDir dir;
  std::string path = dir.file("univirt.conf");
  writeFile(path, "\n\nworkers = abc\n");
  auto result = runProbe({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "probe: " + path + ":3: 'workers' must be an integer from 1 to 64, got 'abc'\n");
}

TEST(ConfigProbe, UnreadableFileExits2WithOneLine) {
  TempDir dir;
  std::string missing = dir.file("missing.conf");
  auto by_env = runProbe({}, {"UNIVIRT_CONFIG=" + missing});
  EXPECT_EQ(by_env.exit_code, 2);
  EXPECT_EQ(by_env.err,
            "probe: " + missing + ": cannot read config file: No such file or directory\n");
  auto directory = runProbe({"--config", dir.path().string()});
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_EQ(directory.err,
            "probe: " + dir.path().string() + ": cannot read config file: Is a directory\n");
}

TEST(ConfigProbe, BadEnvironmentAndFlagsExit2WithOneLine) {
  auto env = runProbe({"--config", ""}, {"UNIVIRT_LOG_LEVEL=loud"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_EQ(env.err,
            "probe: UNIVIRT_LOG_LEVEL: must be one of trace|debug|info|warn|error, got 'loud'\n");
  auto flag = runProbe({"--config", "", "--stop-timeout", "10"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_EQ(flag.err,
            "probe: --stop-timeout: must be a duration such as 500ms, 30s or 5m, got '10'\n");
  auto unknown = runProbe({"--config", "", "--nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "probe: --nope: unknown flag (see --help)\n");
}

TEST(ConfigProbe, LayersFileEnvironmentAndFlags) {
  TempDir dir;
  std::string path = dir.file("univirt.conf");
  writeFile(path,
            "log-level = warn\nnamespace = from-file\n[virtctl]\nworkers = 99\n"
            "[probe]\nworkers = 8\nkubeconfig = /etc/kube.conf\n");
  auto result = runProbe({"--workers=16", "--dry-run"},
                         {"UNIVIRT_CONFIG=" + path, "UNIVIRT_NAMESPACE=from-env",
                          "UNIVIRT_WORKERS=12", "UNIVIRT_STOP_TIMEOUT=1m30s"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "config=" + path +
                            " (UNIVIRT_CONFIG)\n"
                            "log-level=warn (" +
                            path +
                            ":1)\n"
                            "log-format=text (default)\n"
                            "log-file= (default)\n"
                            "health-address= (default)\n"
                            "stop-timeout=90000ms (UNIVIRT_STOP_TIMEOUT)\n"
                            "node-name= (default)\n"
                            "namespace=from-env (UNIVIRT_NAMESPACE)\n"
                            "kubeconfig=/etc/kube.conf (" +
                            path +
                            ":7)\n"
                            "workers=16 (--workers)\n"
                            "dry-run=true (--dry-run)\n"
                            "fail=none (default)\n");
  EXPECT_EQ(result.err, "");  // log-level=warn: the info line is not written
}

TEST(ConfigProbe, BodyExceptionExits1AndIsLogged) {
  auto result = runProbe({"--config", "", "--fail=exception", "--log-format=json"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("\"level\":\"error\",\"daemon\":\"probe\",\"msg\":\"daemon failed\","
                            "\"err\":\"probe body failed\"}\n"),
            std::string::npos)
      << result.err;
}

TEST(ConfigProbe, HelpListsOptionsAndExits0) {
  auto result = runProbe({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--workers INT"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("parallel workers (env UNIVIRT_WORKERS, default 4)"), std::string::npos)
      << result.out;
  EXPECT_EQ(result.err, "");
}

// The in-process form, with the streams and environment given.
struct InProcess {
  Environment env;
  std::ostringstream out;
  std::ostringstream err;
  bool body_ran = false;

  int run(const ConfigSchema& schema, std::vector<std::string> args,
          const DaemonBody& body = nullptr) {
    return runMain(schema, args, MainIo{.env = env, .out = out, .err = err},
                   [&](const Config& config) {
                     body_ran = true;
                     return body ? body(config) : 0;
                   });
  }
};

TEST(RunMain, ReturnsTheBodysExitCode) {
  ConfigSchema schema("virtctl", "test");
  InProcess main;
  EXPECT_EQ(main.run(schema, {"--config", ""}, [](const Config&) { return 7; }), 7);
  EXPECT_TRUE(main.body_ran);
}

TEST(RunMain, ConfigErrorSkipsTheBody) {
  ConfigSchema schema("virtctl", "test");
  InProcess main;
  EXPECT_EQ(main.run(schema, {"--config", "", "--log-format", "xml"}), kExitUsage);
  EXPECT_FALSE(main.body_ran);
  EXPECT_EQ(main.err.str(), "virtctl: --log-format: must be one of text|json, got 'xml'\n");
}

TEST(RunMain, UsageErrorFromTheBodyExits2) {
  ConfigSchema schema("virtctl", "test");
  InProcess main;
  int code = main.run(schema, {"--config", ""}, [](const Config&) -> int {
    throw UsageError("--node-name: 'Node_1' is not a valid node name");
  });
  EXPECT_EQ(code, kExitUsage);
  EXPECT_EQ(main.err.str(), "virtctl: --node-name: 'Node_1' is not a valid node name\n");
}

TEST(RunMain, LogFileThatCannotBeOpenedExits2) {
  TempDir dir;
  ConfigSchema schema("virtctl", "test");
  InProcess main;
  std::string path = dir.file("no/such/dir/virtctl.log");
  EXPECT_EQ(main.run(schema, {"--config", "", "--log-file", path}), kExitUsage);
  EXPECT_FALSE(main.body_ran);
  EXPECT_EQ(main.err.str(), "virtctl: --log-file: cannot open log file '" + path +
                                "': No such file or directory\n");
}

TEST(RunMain, LogsThroughTheConfiguredLoggerAndWarnsAboutUnknownVariables) {
  TempDir dir;
  std::string path = dir.file("virtctl.log");
  ConfigSchema schema("virtctl", "test");
  InProcess main;
  main.env = {{"UNIVIRT_TYPO", "1"}};
  int code = main.run(schema, {"--config", "", "--log-file", path, "--log-level=debug"},
                      [](const Config&) {
                        log::debug("body ran");
                        return 0;
                      });
  EXPECT_EQ(code, 0);
  std::string lines = main.err.str();
  EXPECT_NE(lines.find("level=warn daemon=virtctl msg=\"configuration warning\" "
                       "detail=\"environment variable UNIVIRT_TYPO is not an option of virtctl "
                       "and was ignored\"\n"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("level=debug daemon=virtctl msg=\"body ran\"\n"), std::string::npos);
  EXPECT_EQ(testing::readFile(path), lines);
  EXPECT_FALSE(log::enabled(log::Level::Debug));  // runMain put the default logger back
}

}  // namespace
}  // namespace univirt::util
