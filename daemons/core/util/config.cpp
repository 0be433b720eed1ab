#include "core/util/config.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace univirt::util {
namespace {

constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kFormats[] = {"text", "json"};

const ConfigOption kCommonOptions[] = {
    {.name = "config",
     .env = "UNIVIRT_CONFIG",
     .flag = "--config",
     .default_value = kDefaultConfigPath,
     .help = "configuration file; a missing default file is fine, empty reads no file"},
    {.name = "log-level",
     .env = "UNIVIRT_LOG_LEVEL",
     .flag = "--log-level",
     .type = OptionType::Enum,
     .default_value = "info",
     .help = "lowest level that is logged",
     .allowed = kLevels},
    {.name = "log-format",
     .env = "UNIVIRT_LOG_FORMAT",
     .flag = "--log-format",
     .type = OptionType::Enum,
     .default_value = "text",
     .help = "log line format: logfmt key=value text or one JSON object per line",
     .allowed = kFormats},
    {.name = "log-file",
     .env = "UNIVIRT_LOG_FILE",
     .flag = "--log-file",
     .help = "also append log lines to this file, reopened on SIGHUP; empty: stderr only"},
    {.name = "health-address",
     .env = "UNIVIRT_HEALTH_ADDRESS",
     .flag = "--health-address",
     .type = OptionType::Address,
     .help = "where /healthz, /readyz and /metrics are served; port 0 picks a free port, "
             "empty serves nothing"},
    {.name = "stop-timeout",
     .env = "UNIVIRT_STOP_TIMEOUT",
     .flag = "--stop-timeout",
     .type = OptionType::Duration,
     .default_value = "20s",
     .help = "how long a graceful stop may take before the daemon exits anyway"},
    {.name = "node-name",
     .env = "UNIVIRT_NODE_NAME",
     .flag = "--node-name",
     .help = "name of this node's Node object; empty: the host name"},
    {.name = "namespace",
     .env = "UNIVIRT_NAMESPACE",
     .flag = "--namespace",
     .help = "watch only this namespace; empty: all namespaces"},
    {.name = "kubeconfig",
     .env = "UNIVIRT_KUBECONFIG",
     .flag = "--kubeconfig",
     .help = "kubeconfig file for the API server; empty: the in-cluster service account"},
};

std::string joinNames(std::span<const std::string_view> names, std::string_view separator) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) {
      out += separator;
    }
    out += name;
  }
  return out;
}

std::string intExpectation(const ConfigOption& option) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (option.min != kMin && option.max != kMax) {
    return fmt::format("must be an integer from {} to {}", option.min, option.max);
  }
  if (option.min != kMin) {
    return fmt::format("must be an integer of at least {}", option.min);
  }
  if (option.max != kMax) {
    return fmt::format("must be an integer of at most {}", option.max);
  }
  return "must be an integer";
}

std::string expectation(const ConfigOption& option) {
  switch (option.type) {
    case OptionType::String:
      return "must be text";
    case OptionType::Int:
      return intExpectation(option);
    case OptionType::Bool:
      return "must be true or false";
    case OptionType::Duration:
      return "must be a duration such as 500ms, 30s or 5m";
    case OptionType::Enum:
      return "must be one of " + joinNames(option.allowed, "|");
    case OptionType::Address:
      return "must be host:port such as 127.0.0.1:19990";
  }
  return "is invalid";
}

std::optional<std::int64_t> parseInt(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parseBool(std::string_view text) {
  for (std::string_view yes : {"true", "yes", "on", "1"}) {
    if (text == yes) {
      return true;
    }
  }
  for (std::string_view no : {"false", "no", "off", "0"}) {
    if (text == no) {
      return false;
    }
  }
  return std::nullopt;
}

bool isAddress(std::string_view text) {
  if (text.empty()) {
    return true;  // disables the server
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') {
    return false;
  }
  auto port = parseInt(text.substr(colon + 1));
  return port && *port >= 0 && *port <= 65535;
}

Result<Config::Value> parseValue(const ConfigOption& option, std::string_view text) {
  auto fail = [&] {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{}, got '{}'", expectation(option), text)};
  };
  switch (option.type) {
    case OptionType::String:
      return Config::Value(std::string(text));
    case OptionType::Int: {
      auto value = parseInt(text);
      if (!value || *value < option.min || *value > option.max) {
        return fail();
      }
      return Config::Value(*value);
    }
    case OptionType::Bool: {
      auto value = parseBool(text);
      if (!value) {
        return fail();
      }
      return Config::Value(*value);
    }
    case OptionType::Duration: {
      auto value = parseDuration(text);
      if (!value) {
        return fail();
      }
      return Config::Value(*value);
    }
    case OptionType::Enum:
      if (std::find(option.allowed.begin(), option.allowed.end(), text) == option.allowed.end()) {
        return fail();
      }
      return Config::Value(std::string(text));
    case OptionType::Address:
      if (!isAddress(text)) {
        return fail();
      }
      return Config::Value(std::string(text));
  }
  return fail();
}

}  // namespace

std::span<const ConfigOption> commonConfigOptions() { return kCommonOptions; }

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  using std::chrono::milliseconds;
  auto invalid = Error{ErrorCode::InvalidArgument,
                       fmt::format("'{}' is not a duration such as 500ms, 30s or 5m", text)};
  if (text == "0") {
    return milliseconds(0);
  }
  if (text.empty()) {
    return invalid;
  }
  std::int64_t total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      ++digits;
    }
    auto number = parseInt(text.substr(0, digits));
    if (!number) {
      return invalid;
    }
    text.remove_prefix(digits);
    std::size_t unit_length = text.starts_with("ms") ? 2 : 1;
    std::string_view unit = text.substr(0, std::min(unit_length, text.size()));
    std::int64_t scale = unit == "ms"  ? 1
                         : unit == "s" ? 1000
                         : unit == "m" ? 60'000
                         : unit == "h" ? 3'600'000
                                       : 0;
    if (scale == 0 || *number > std::numeric_limits<std::int64_t>::max() / scale - total) {
      return invalid;
    }
    total += *number * scale;
    text.remove_prefix(unit.size());
  }
  return milliseconds(total);
}

Status checkValue(const ConfigOption& option, std::string_view text) {
  auto value = parseValue(option, text);
  if (!value) {
    return std::move(value).error();
  }
  return ok();
}

ConfigSchema::ConfigSchema(std::string_view daemon, std::string_view summary,
                           std::span<const ConfigOption> own_options)
    : daemon_(daemon), summary_(summary) {
  options_.assign(kCommonOptions, kCommonOptions + std::size(kCommonOptions));
  options_.insert(options_.end(), own_options.begin(), own_options.end());
  std::set<std::string_view> seen;
  for (const ConfigOption& option : options_) {
    UNIVIRT_CHECK(seen.insert(option.name).second, "option names are unique");
    UNIVIRT_CHECK(option.env.empty() || seen.insert(option.env).second, "env names are unique");
    UNIVIRT_CHECK(option.flag.empty() || seen.insert(option.flag).second, "flags are unique");
    UNIVIRT_CHECK(option.flag.empty() || option.flag.starts_with("--"), "flags start with --");
    UNIVIRT_CHECK(checkValue(option, option.default_value).has_value(), "defaults are valid");
  }
}

ConfigSchema& ConfigSchema::setDefault(std::string_view name, std::string_view value) {
  auto it = std::find_if(options_.begin(), options_.end(),
                         [&](const ConfigOption& option) { return option.name == name; });
  UNIVIRT_CHECK(it != options_.end(), "setDefault names an option of the schema");
  it->default_value = value;
  UNIVIRT_CHECK(checkValue(*it, value).has_value(), "defaults are valid");
  return *this;
}

const ConfigOption* ConfigSchema::find(std::string_view name) const {
  for (const ConfigOption& option : options_) {
    if (option.name == name) {
      return &option;
    }
  }
  return nullptr;
}

const Config::Entry& Config::entry(std::string_view name) const {
  auto it = entries_.find(name);
  UNIVIRT_CHECK(it != entries_.end(), "the option is part of the daemon's schema");
  return it->second;
}

const std::string& Config::getString(std::string_view name) const {
  const auto* value = std::get_if<std::string>(&entry(name).value);
  UNIVIRT_CHECK(value != nullptr, "getString() is called for a text option");
  return *value;
}

std::int64_t Config::getInt(std::string_view name) const {
  const auto* value = std::get_if<std::int64_t>(&entry(name).value);
  UNIVIRT_CHECK(value != nullptr, "getInt() is called for an Int option");
  return *value;
}

bool Config::getBool(std::string_view name) const {
  const auto* value = std::get_if<bool>(&entry(name).value);
  UNIVIRT_CHECK(value != nullptr, "getBool() is called for a Bool option");
  return *value;
}

std::chrono::milliseconds Config::getDuration(std::string_view name) const {
  const auto* value = std::get_if<std::chrono::milliseconds>(&entry(name).value);
  UNIVIRT_CHECK(value != nullptr, "getDuration() is called for a Duration option");
  return *value;
}

Status Config::set(const ConfigOption& option, std::string_view text, std::string source) {
  auto value = parseValue(option, text);
  if (!value) {
    return std::move(value).error();
  }
  entries_[std::string(option.name)] = Entry{std::move(*value), std::move(source)};
  return ok();
}

const std::string& Config::source(std::string_view name) const { return entry(name).source; }

namespace {

std::string markdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string markdownCode(std::string_view text) {
  return text.empty() ? std::string() : fmt::format("`{}`", text);
}

std::string markdownType(const ConfigOption& option) {
  switch (option.type) {
    case OptionType::String:
      return "string";
    case OptionType::Int:
      return markdownCell(intExpectation(option).substr(std::string_view("must be ").size()));
    case OptionType::Bool:
      return "bool";
    case OptionType::Duration:
      return "duration";
    case OptionType::Enum: {
      std::string out = "one of ";
      for (std::string_view name : option.allowed) {
        out += out.ends_with(' ') ? "" : ", ";
        out += markdownCode(name);
      }
      return out;
    }
    case OptionType::Address:
      return "host:port";
  }
  return "string";
}

}  // namespace

std::string renderMarkdown(const ConfigSchema& schema) {
  std::string out = fmt::format(
      "| Key | Flag | Environment | Type | Default | Description |\n"
      "| --- | --- | --- | --- | --- | --- |\n");
  for (const ConfigOption& option : schema.options()) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", markdownCode(option.name),
                       markdownCode(option.flag), markdownCode(option.env), markdownType(option),
                       markdownCode(markdownCell(option.default_value)), markdownCell(option.help));
  }
  return out;
}

Environment processEnvironment() {
  Environment env;
  for (char** item = environ; item != nullptr && *item != nullptr; ++item) {
    std::string_view entry(*item);
    auto equals = entry.find('=');
    if (equals != std::string_view::npos) {
      env.emplace(std::string(entry.substr(0, equals)), std::string(entry.substr(equals + 1)));
    }
  }
  return env;
}

}  // namespace univirt::util
