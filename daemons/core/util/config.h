#pragma once

// Layered daemon configuration, declared once as a table (style.md §6).
//
// Each option is one ConfigOption row; the command-line flags, --help, validation and the
// Markdown reference (docs/config.md) are all generated from the rows. A value is looked up in
// three layers, each overriding the one before:
//   1. the file: /etc/univirt/univirt.conf, or the path given by --config / UNIVIRT_CONFIG;
//   2. the environment: UNIVIRT_* variables;
//   3. the command line: --flags.
// A missing default file is fine (every option has a default); a missing file named by
// --config or UNIVIRT_CONFIG is an error; an empty path reads no file.
//
// File format: one `key = value` per line. Blank lines and lines starting with '#' are
// ignored; a '#' after a value is part of the value. Surrounding double quotes are removed
// from a value ("" is the empty value). One file serves every daemon on a node:
//
//   # read by every daemon
//   log-format = json
//   [virtctl]
//   health-address = 127.0.0.1:19990
//
// Keys before the first [section] are read by every daemon, so only options all daemons know
// (commonConfigOptions()) belong there. A [<daemon>] section is read by that daemon only; the
// other daemons skip it without checking it. Section names are the daemon names in
// kConfigSections (plus the reading daemon's own name).
//
// Errors name where the bad input is and the key, in one line:
//   /etc/univirt/univirt.conf:7: unknown key 'log-levle' (known: config, health-address, ...)
//   /etc/univirt/univirt.conf:3: 'stop-timeout' must be a duration such as 500ms, 30s or 5m,
//       got 'soon'
//   UNIVIRT_LOG_LEVEL: must be one of trace|debug|info|warn|error, got 'loud'
//   --health-address: must be host:port such as 127.0.0.1:19990, got 'localhost'
// Unknown UNIVIRT_* environment variables are not errors (a node's environment may be shared
// with other univirt tools); they come back as Config::warnings() for the daemon to log.

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/util/result.h"

namespace univirt::util {

enum class OptionType {
  String,    // any text
  Int,       // decimal integer within [min, max]
  Bool,      // true|false (also yes|no, on|off, 1|0); a bare --flag means true
  Duration,  // Go style: 500ms, 30s, 5m, 1h, 1m30s, 0
  Enum,      // one of `allowed`
  Address,   // host:port, port 0-65535; empty disables what the address is for
};

struct ConfigOption {
  std::string_view name = {};  // the key in the file: "log-level"
  std::string_view env = {};   // "UNIVIRT_LOG_LEVEL"; empty: not read from the environment
  std::string_view flag = {};  // "--log-level"; empty: no command-line flag
  OptionType type = OptionType::String;
  // As text, checked like any other input. Must name static storage (a string literal).
  std::string_view default_value = {};
  std::string_view help = {};  // a lower-case phrase, shown by --help and in docs/config.md
  std::span<const std::string_view> allowed = {};               // Enum only
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // Int only
  std::int64_t max = std::numeric_limits<std::int64_t>::max();  // Int only
};

inline constexpr std::string_view kDefaultConfigPath = "/etc/univirt/univirt.conf";
inline constexpr std::string_view kConfigSections[] = {
    "virtctl", "virtlet", "libvirtwatcher", "virtmonitor", "kube-lite", "sdsctl", "ovnctl"};

// config, log-level, log-format, log-file, health-address, stop-timeout, node-name, namespace,
// kubeconfig: the options every daemon has.
std::span<const ConfigOption> commonConfigOptions();

// The full table of one daemon: the common options followed by its own.
class ConfigSchema {
 public:
  ConfigSchema(std::string_view daemon, std::string_view summary,
               std::span<const ConfigOption> own_options = {});

  // Changes a default, e.g. a daemon's health port. `value` must outlive the schema (a string
  // literal in practice).
  ConfigSchema& setDefault(std::string_view name, std::string_view value);

  std::string_view daemon() const { return daemon_; }
  std::string_view summary() const { return summary_; }
  std::span<const ConfigOption> options() const { return options_; }
  const ConfigOption* find(std::string_view name) const;

 private:
  std::string_view daemon_;
  std::string_view summary_;
  std::vector<ConfigOption> options_;
};

// The resolved value of every option of a schema. Asking for an option the schema does not
// have, or with the wrong type, is a programming error and aborts.
class Config {
 public:
  using Value = std::variant<std::string, std::int64_t, bool, std::chrono::milliseconds>;

  const std::string& daemon() const { return daemon_; }
  // String, Enum and Address options.
  const std::string& getString(std::string_view name) const;
  std::int64_t getInt(std::string_view name) const;
  bool getBool(std::string_view name) const;
  std::chrono::milliseconds getDuration(std::string_view name) const;
  // Where the value came from: "default", "/etc/univirt/univirt.conf:7", "UNIVIRT_LOG_LEVEL"
  // or "--log-level".
  const std::string& source(std::string_view name) const;
  // Problems that are not errors, as whole sentences, for the daemon to log once at startup.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend class ConfigLoader;
  struct Entry {
    Value value;
    std::string source;
  };
  const Entry& entry(std::string_view name) const;
  // Checks `text` against the option and stores it; the error reads "must be ..., got '...'".
  Status set(const ConfigOption& option, std::string_view text, std::string source);

  std::string daemon_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::vector<std::string> warnings_;
};

// What the command line asks for: run with `config`, or print `text` to stdout and exit 0
// (--help, --version).
struct Invocation {
  enum class Action { Run, PrintAndExit };
  Action action = Action::Run;
  Config config = {};
  std::string text = {};
};

using Environment = std::map<std::string, std::string, std::less<>>;

// This process's environment.
Environment processEnvironment();

// Reads file, environment and flags. `args` excludes the program name. Errors are one line
// naming the source and the key (see above): InvalidArgument for bad input, NotFound and
// PermissionDenied for a config file that cannot be read.
Result<Invocation> loadConfig(const ConfigSchema& schema, std::span<const std::string> args,
                              const Environment& env);

// Checks one value against its option; the error reads "must be an integer, got 'abc'" and
// callers prefix where the value came from.
Status checkValue(const ConfigOption& option, std::string_view text);
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

// The --help text: usage, summary, every option with its env name and default, and the layers.
std::string renderHelp(const ConfigSchema& schema);
// A Markdown table of the options, for docs/config.md.
std::string renderMarkdown(const ConfigSchema& schema);

}  // namespace univirt::util
