// loadConfig() and renderHelp(): the file, environment and command-line layers of config.h.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/util/config.h"
#include "core/version.h"

namespace univirt::util {
namespace {

constexpr std::string_view kEnvPrefix = "UNIVIRT_";

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// The file's text; nullopt when it does not exist and need not.
Result<std::optional<std::string>> readConfigFile(const std::string& path, bool must_exist) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  std::string text;
  while (fd >= 0) {
    char buffer[4096];
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      err = got < 0 ? errno : 0;
      ::close(fd);
      break;
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
  if (err == ENOENT && !must_exist) {
    return std::optional<std::string>();
  }
  if (err != 0) {
    return Error{err == ENOENT   ? ErrorCode::NotFound
                 : err == EACCES ? ErrorCode::PermissionDenied
                                 : ErrorCode::InvalidArgument,
                 fmt::format("{}: cannot read config file: {}", path, std::strerror(err))};
  }
  return std::optional<std::string>(std::move(text));
}

std::string knownKeys(const ConfigSchema& schema) {
  std::string out;
  for (const ConfigOption& option : schema.options()) {
    if (option.name == "config") {
      continue;
    }
    out += out.empty() ? "" : ", ";
    out += option.name;
  }
  return out;
}

std::string typeName(const ConfigOption& option) {
  switch (option.type) {
    case OptionType::Enum: {
      std::string names;
      for (std::string_view name : option.allowed) {
        names += names.empty() ? "" : "|";
        names += name;
      }
      return names;
    }
    case OptionType::Int:
      return "INT";
    case OptionType::Bool:
      return "BOOL";
    case OptionType::Duration:
      return "DURATION";
    case OptionType::Address:
      return "HOST:PORT";
    case OptionType::String:
      break;
  }
  return "TEXT";
}

std::string describe(const ConfigOption& option) {
  std::string where = option.env.empty() ? "" : fmt::format("env {}, ", option.env);
  std::string value =
      option.default_value.empty() ? std::string("empty") : std::string(option.default_value);
  return fmt::format("{} ({}default {})", option.help, where, value);
}

// The command line as CLI11 sees it: every option is read as text and checked by us, so a bad
// flag value gets the same message as a bad file or environment value.
struct CommandLine {
  CLI::App app;
  std::map<std::string_view, std::string> values;  // option name -> flag text
  std::map<std::string_view, CLI::Option*> flags;  // option name -> CLI11 option
  bool version = false;
};

std::unique_ptr<CommandLine> buildCommandLine(const ConfigSchema& schema) {
  auto cli = std::make_unique<CommandLine>();
  cli->app.name(std::string(schema.daemon()));
  cli->app.description(std::string(schema.summary()));
  cli->app.allow_extras();  // reported by us, in our words
  cli->app.footer(fmt::format(
      "Each value is taken from the default, then the config file (--config, default {}), "
      "then UNIVIRT_* environment variables, then flags; later ones win.",
      kDefaultConfigPath));
  for (const ConfigOption& option : schema.options()) {
    if (option.flag.empty()) {
      continue;
    }
    std::string& value = cli->values[option.name];
    CLI::Option* added = nullptr;
    if (option.type == OptionType::Bool) {
      // A bare --flag means true; --flag=false is also accepted.
      added = cli->app.add_flag(std::string(option.flag), value, describe(option));
    } else {
      added = cli->app.add_option(std::string(option.flag), value, describe(option))
                  ->type_name(typeName(option));
    }
    added->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    cli->flags[option.name] = added;
  }
  cli->app.add_flag("--version", cli->version, "print the version and exit");
  return cli;
}

}  // namespace

// Fills a Config layer by layer: defaults, file, environment, flags (config.h).
class ConfigLoader {
 public:
  explicit ConfigLoader(const ConfigSchema& schema) : schema_(schema) {
    config_.daemon_ = std::string(schema.daemon());
  }

  void applyDefaults() {
    for (const ConfigOption& option : schema_.options()) {
      // The schema checked every default when it was built.
      (void)config_.set(option, option.default_value, "default");
    }
  }

  Status applyFile(const std::string& path, bool must_exist) {
    if (path.empty()) {
      return ok();
    }
    auto text = readConfigFile(path, must_exist);
    if (!text) {
      return std::move(text).error();
    }
    if (!*text) {
      return ok();
    }
    std::string_view rest = **text;
    std::string section;
    std::map<std::pair<std::string, std::string>, int> first_line;  // (section, key) -> line
    for (int line = 1; !rest.empty(); ++line) {
      auto newline = rest.find('\n');
      std::string_view raw = rest.substr(0, newline);
      rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
      std::string where = fmt::format("{}:{}", path, line);
      std::string_view content = trim(raw);
      if (content.empty() || content.front() == '#') {
        continue;
      }
      if (content.front() == '[') {
        auto entered = enterSection(content, where);
        if (!entered) {
          return std::move(entered).error();
        }
        section = std::move(*entered);
        continue;
      }
      if (!section.empty() && section != schema_.daemon()) {
        continue;  // another daemon's section: its keys are that daemon's to check
      }
      auto equals = content.find('=');
      if (equals == std::string_view::npos) {
        return invalid(fmt::format("{}: expected 'key = value', got '{}'", where, content));
      }
      std::string key(trim(content.substr(0, equals)));
      std::string_view value = trim(content.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      const ConfigOption* option = schema_.find(key);
      if (option == nullptr) {
        return invalid(
            fmt::format("{}: unknown key '{}' (known: {})", where, key, knownKeys(schema_)));
      }
      if (option->name == "config") {
        return invalid(fmt::format(
            "{}: 'config' cannot be set in the config file; use --config or UNIVIRT_CONFIG",
            where));
      }
      auto [it, fresh] = first_line.emplace(std::pair(section, key), line);
      if (!fresh) {
        return invalid(
            fmt::format("{}: duplicate key '{}' (first set on line {})", where, key, it->second));
      }
      if (auto set = config_.set(*option, value, where); !set) {
        return invalid(fmt::format("{}: '{}' {}", where, key, set.error().message));
      }
    }
    return ok();
  }

  Status applyEnvironment(const Environment& env) {
    for (const auto& [name, value] : env) {
      if (!name.starts_with(kEnvPrefix)) {
        continue;
      }
      auto options = schema_.options();
      // A structured binding is not captured (clang before 16 rejects it): compare a copy.
      const std::string_view env_name = name;
      auto it = std::find_if(options.begin(), options.end(),
                             [&](const ConfigOption& option) { return option.env == env_name; });
      if (it == options.end()) {
        config_.warnings_.push_back(
            fmt::format("environment variable {} is not an option of {} and was ignored", name,
                        schema_.daemon()));
        continue;
      }
      if (auto set = config_.set(*it, value, name); !set) {
        return invalid(fmt::format("{}: {}", name, set.error().message));
      }
    }
    return ok();
  }

  Status applyFlags(const CommandLine& cli) {
    for (const ConfigOption& option : schema_.options()) {
      auto flag = cli.flags.find(option.name);
      if (flag == cli.flags.end() || flag->second->count() == 0) {
        continue;
      }
      const std::string& value = cli.values.at(option.name);
      if (auto set = config_.set(option, value, std::string(option.flag)); !set) {
        return invalid(fmt::format("{}: {}", option.flag, set.error().message));
      }
    }
    return ok();
  }

  Config take() { return std::move(config_); }

 private:
  static Error invalid(std::string message) {
    return Error{ErrorCode::InvalidArgument, std::move(message)};
  }

  Result<std::string> enterSection(std::string_view content, const std::string& where) const {
    if (content.back() != ']') {
      return invalid(fmt::format("{}: expected '[section]', got '{}'", where, content));
    }
    std::string name(trim(content.substr(1, content.size() - 2)));
    bool known = name == schema_.daemon() ||
                 std::find(std::begin(kConfigSections), std::end(kConfigSections), name) !=
                     std::end(kConfigSections);
    if (!known) {
      std::string names(schema_.daemon());
      for (std::string_view section : kConfigSections) {
        if (section != schema_.daemon()) {
          names += ", ";
          names += section;
        }
      }
      return invalid(fmt::format("{}: unknown section '[{}]' (known: {})", where, name, names));
    }
    return name;
  }

  const ConfigSchema& schema_;
  Config config_;
};

Result<Invocation> loadConfig(const ConfigSchema& schema, std::span<const std::string> args,
                              const Environment& env) {
  auto cli = buildCommandLine(schema);
  // CLI11 pops arguments from the back. It also takes "--flag=" for a flag without a value, so
  // that form is passed as "--flag" "" to mean the empty value (--log-file= turns it off).
  std::vector<std::string> reversed;
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->starts_with("--") && it->ends_with("=")) {
      reversed.emplace_back();
      reversed.push_back(it->substr(0, it->size() - 1));
      continue;
    }
    reversed.push_back(*it);
  }
  try {
    cli->app.parse(reversed);
  } catch (const CLI::Success&) {  // --help
    return Invocation{.action = Invocation::Action::PrintAndExit, .text = cli->app.help()};
  } catch (const CLI::ArgumentMismatch& e) {
    std::string_view what = e.what();
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{}: missing value", what.substr(0, what.find(':')))};
  } catch (const CLI::ParseError& e) {
    return Error{ErrorCode::InvalidArgument, e.what()};
  }
  for (const std::string& extra : cli->app.remaining()) {
    if (extra.starts_with("-")) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("{}: unknown flag (see --help)", extra.substr(0, extra.find('=')))};
    }
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("unexpected argument '{}' (see --help)", extra)};
  }
  if (cli->version) {
    return Invocation{
        .action = Invocation::Action::PrintAndExit,
        .text = fmt::format("{} {} (commit {})\n", schema.daemon(), kVersion, kGitCommit)};
  }

  std::string path(kDefaultConfigPath);
  bool explicit_path = false;
  if (cli->flags.at("config")->count() > 0) {
    path = cli->values.at("config");
    explicit_path = true;
  } else if (auto it = env.find("UNIVIRT_CONFIG"); it != env.end()) {
    path = it->second;
    explicit_path = true;
  }

  ConfigLoader loader(schema);
  loader.applyDefaults();
  if (auto file = loader.applyFile(path, explicit_path); !file) {
    return std::move(file).error();
  }
  if (auto environment = loader.applyEnvironment(env); !environment) {
    return std::move(environment).error();
  }
  if (auto flags = loader.applyFlags(*cli); !flags) {
    return std::move(flags).error();
  }
  return Invocation{.action = Invocation::Action::Run, .config = loader.take()};
}

std::string renderHelp(const ConfigSchema& schema) { return buildCommandLine(schema)->app.help(); }

}  // namespace univirt::util
