#pragma once

// Structured logging (style.md §5): one line per event on stderr, logfmt or JSON, optionally
// also appended to a file (the upstream names, e.g. /var/log/virtctl.log).
// The message is a constant lower-case phrase; values go into fields:
//   log::info("operation finished", {{"kind", "VirtualMachine"}, {"op", "startVM"},
//                                    {"duration_ms", 183}});
// Every line carries ts, level, daemon and msg, in that order:
//   ts=2026-01-01T00:00:00.000Z level=info daemon=virtctl msg="operation finished" op=startVM
//   {"ts":"2026-01-01T00:00:00.000Z","level":"info","daemon":"virtctl","msg":"...","op":"startVM"}
//
// The free functions write through one process-wide Logger. Until configure() or install() is
// called it writes text at info level to stderr with the program's name as daemon.
// Thread-safe: lines from different threads never interleave. reopen() is what SIGHUP does
// (after logrotate moved the file); it runs on the signal thread, never in a signal handler.

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/clock.h"
#include "core/util/result.h"

namespace univirt::log {

enum class Level { Trace, Debug, Info, Warn, Error };
enum class Format { Text, Json };

std::string_view levelName(Level level);
std::optional<Level> parseLevel(std::string_view text);  // "trace" ... "error"
std::string_view formatName(Format format);
std::optional<Format> parseFormat(std::string_view text);  // "text" or "json"

struct Field {
  Field(std::string_view key_in, std::string_view value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, const char* value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, const std::string& value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, bool value_in)
      : key(key_in), value(value_in ? "true" : "false"), literal(true) {}
  template <std::integral T>
  Field(std::string_view key_in, T value_in)
      : key(key_in), value(std::to_string(value_in)), literal(true) {}
  Field(std::string_view key_in, double value_in);

  std::string_view key;
  std::string value;
  // A number or bool: written without quotes in JSON.
  bool literal = false;
};

using Fields = std::initializer_list<Field>;

// Receives each finished line, newline included.
using LineWriter = std::function<void(std::string_view line)>;

struct Options {
  std::string daemon = {};
  Level level = Level::Info;
  Format format = Format::Text;
  // Every line is also appended here; empty: stderr only.
  std::string file = {};
  // Where the console lines go; empty: file descriptor 2. Tests capture lines with it.
  LineWriter console = {};
};

class Logger {
 public:
  // Opens options.file for appending (created with mode 0640) when it is set.
  static util::Result<std::unique_ptr<Logger>> create(Options options,
                                                      util::Clock& clock = util::Clock::real());
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(Level level) const { return level >= options_.level; }
  void write(Level level, std::string_view msg, Fields fields);
  // The line write() would emit, without writing it.
  std::string formatLine(Level level, std::string_view msg, Fields fields) const;
  // Closes and opens the file again by name; a no-op without a file.
  util::Status reopen();
  const Options& options() const { return options_; }

 private:
  Logger(Options options, util::Clock& clock, int fd);

  const Options options_;
  util::Clock& clock_;
  std::mutex mu_;
  int fd_ = -1;  // guarded by mu_; the file sink, -1 when there is none
};

// Replaces the process-wide logger (nullptr: back to the default).
void install(std::unique_ptr<Logger> logger);
// Creates a Logger from options and installs it.
util::Status configure(Options options);
// Reopens the process-wide logger's file.
util::Status reopen();

void write(Level level, std::string_view msg, Fields fields = {});
bool enabled(Level level);

inline void trace(std::string_view msg, Fields fields = {}) { write(Level::Trace, msg, fields); }
inline void debug(std::string_view msg, Fields fields = {}) { write(Level::Debug, msg, fields); }
inline void info(std::string_view msg, Fields fields = {}) { write(Level::Info, msg, fields); }
inline void warn(std::string_view msg, Fields fields = {}) { write(Level::Warn, msg, fields); }
inline void error(std::string_view msg, Fields fields = {}) { write(Level::Error, msg, fields); }

}  // namespace univirt::log
