#include "core/util/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace univirt::log {
namespace {

// Minimal sink until the logging module lands: logfmt on stderr at info and above.
std::mutex g_mu;

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Trace:
      return "trace";
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}

void appendValue(std::string& out, std::string_view value) {
  bool quote = value.empty() || value.find_first_of(" =\"\\\n\t") != std::string_view::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

Field::Field(std::string_view key_in, double value_in)
    : key(key_in), value(fmt::format("{}", value_in)) {}

bool enabled(Level level) { return level >= Level::Info; }

void write(Level level, std::string_view msg, Fields fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line =
      fmt::format("ts={:%FT%TZ} level={} msg=",
                  std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()),
                  levelName(level));
  appendValue(line, msg);
  for (const Field& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    appendValue(line, field.value);
  }
  line += '\n';
  std::lock_guard lock(g_mu);
  std::fputs(line.c_str(), stderr);
}

}  // namespace univirt::log
