#pragma once

// Structured logging (style.md §5): one line per event on stderr, logfmt or JSON.
// The message is a constant lower-case phrase; values go into fields:
//   log::info("operation finished", {{"kind", "VirtualMachine"}, {"op", "startVM"},
//                                    {"duration_ms", 183}});
// Every line carries ts, level, daemon and msg.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace univirt::log {

enum class Level { Trace, Debug, Info, Warn, Error };

struct Field {
  Field(std::string_view key_in, std::string_view value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, const char* value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, const std::string& value_in) : key(key_in), value(value_in) {}
  Field(std::string_view key_in, bool value_in) : key(key_in), value(value_in ? "true" : "false") {}
  template <std::integral T>
  Field(std::string_view key_in, T value_in) : key(key_in), value(std::to_string(value_in)) {}
  Field(std::string_view key_in, double value_in);

  std::string_view key;
  std::string value;
};

using Fields = std::initializer_list<Field>;

void write(Level level, std::string_view msg, Fields fields = {});
bool enabled(Level level);

inline void trace(std::string_view msg, Fields fields = {}) { write(Level::Trace, msg, fields); }
inline void debug(std::string_view msg, Fields fields = {}) { write(Level::Debug, msg, fields); }
inline void info(std::string_view msg, Fields fields = {}) { write(Level::Info, msg, fields); }
inline void warn(std::string_view msg, Fields fields = {}) { write(Level::Warn, msg, fields); }
inline void error(std::string_view msg, Fields fields = {}) { write(Level::Error, msg, fields); }

}  // namespace univirt::log
