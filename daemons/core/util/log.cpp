#include "core/util/log.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <utility>

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace univirt::log {
namespace {

constexpr int kFileMode = 0640;  // logs may hold object names; not world-readable

// Writes all of `data`, retrying after signals and short writes. Errors are dropped: there is
// nowhere left to report that logging failed.
void writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

util::Result<int> openLogFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, kFileMode);
  if (fd < 0) {
    int err = errno;
    auto code = err == EACCES ? util::ErrorCode::PermissionDenied : util::ErrorCode::Unavailable;
    return util::Error{code,
                       fmt::format("cannot open log file '{}': {}", path, std::strerror(err))};
  }
  return fd;
}

std::string formatTimestamp(util::Clock::WallTime time) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  if (ms % 1000 < 0) {
    --seconds;  // floor, for times before 1970
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ((ms % 1000) + 1000) % 1000);
}

// logfmt value: bare when it has no space, quote, '=', backslash or control character;
// otherwise double-quoted with Go-style escapes, so every line stays one line.
void appendLogfmt(std::string& out, std::string_view value) {
  bool bare = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out += value;
    return;
  }
  out += '"';
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < ' ' || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void appendJsonString(std::string& out, std::string_view value) {
  // Invalid UTF-8 is replaced rather than thrown on: a log line must never fail.
  out += nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string programName() {
  return program_invocation_short_name != nullptr ? program_invocation_short_name : "univirt";
}

// The process-wide logger. Co-owned (shared_ptr) by this slot and by write() calls in flight,
// so install() never destroys a logger another thread is still writing through.
struct Global {
  std::mutex mu;
  std::shared_ptr<Logger> logger;  // guarded by mu
  std::atomic<Level> level{Level::Info};
};

Global& global() {
  static Global instance;
  return instance;
}

std::shared_ptr<Logger> current() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  if (!g.logger) {
    // Without a file, creating a logger cannot fail.
    g.logger = std::move(*Logger::create(Options{.daemon = programName()}));
    g.level = g.logger->options().level;
  }
  return g.logger;
}

}  // namespace

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

std::optional<Level> parseLevel(std::string_view text) {
  for (Level level : {Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error}) {
    if (text == levelName(level)) {
      return level;
    }
  }
  return std::nullopt;
}

std::string_view formatName(Format format) { return format == Format::Json ? "json" : "text"; }

std::optional<Format> parseFormat(std::string_view text) {
  if (text == "text") {
    return Format::Text;
  }
  if (text == "json") {
    return Format::Json;
  }
  return std::nullopt;
}

Field::Field(std::string_view key_in, double value_in)
    : key(key_in), value(fmt::format("{}", value_in)), literal(std::isfinite(value_in)) {}

util::Result<std::unique_ptr<Logger>> Logger::create(Options options, util::Clock& clock) {
  int fd = -1;
  if (!options.file.empty()) {
    auto opened = openLogFile(options.file);
    if (!opened) {
      return std::move(opened).error();
    }
    fd = *opened;
  }
  return std::unique_ptr<Logger>(new Logger(std::move(options), clock, fd));
}

Logger::Logger(Options options, util::Clock& clock, int fd)
    : options_(std::move(options)), clock_(clock), fd_(fd) {}

Logger::~Logger() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string Logger::formatLine(Level level, std::string_view msg, Fields fields) const {
  std::string ts = formatTimestamp(clock_.wallNow());
  std::string line;
  line.reserve(128);
  if (options_.format == Format::Json) {
    line += "{\"ts\":\"" + ts + "\",\"level\":\"";
    line += levelName(level);
    line += "\",\"daemon\":";
    appendJsonString(line, options_.daemon);
    line += ",\"msg\":";
    appendJsonString(line, msg);
    for (const Field& field : fields) {
      line += ',';
      appendJsonString(line, field.key);
      line += ':';
      if (field.literal) {
        line += field.value;
      } else {
        appendJsonString(line, field.value);
      }
    }
    line += "}\n";
    return line;
  }
  line += "ts=" + ts + " level=";
  line += levelName(level);
  line += " daemon=";
  appendLogfmt(line, options_.daemon);
  line += " msg=";
  appendLogfmt(line, msg);
  for (const Field& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    appendLogfmt(line, field.value);
  }
  line += '\n';
  return line;
}

void Logger::write(Level level, std::string_view msg, Fields fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line = formatLine(level, msg, fields);
  std::lock_guard lock(mu_);
  if (options_.console) {
    options_.console(line);
  } else {
    writeAll(STDERR_FILENO, line);
  }
  if (fd_ >= 0) {
    writeAll(fd_, line);
  }
}

util::Status Logger::reopen() {
  if (options_.file.empty()) {
    return util::ok();
  }
  // Open the new file before closing the old one: on failure we keep logging somewhere.
  auto opened = openLogFile(options_.file);
  if (!opened) {
    return std::move(opened).error();
  }
  std::lock_guard lock(mu_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = *opened;
  return util::ok();
}

void install(std::unique_ptr<Logger> logger) {
  Global& g = global();
  std::shared_ptr<Logger> old;
  std::lock_guard lock(g.mu);
  old = std::move(g.logger);
  g.logger = std::move(logger);
  g.level = g.logger ? g.logger->options().level : Level::Info;
}

util::Status configure(Options options) {
  auto logger = Logger::create(std::move(options));
  if (!logger) {
    return std::move(logger).error();
  }
  install(std::move(*logger));
  return util::ok();
}

util::Status reopen() { return current()->reopen(); }

bool enabled(Level level) { return level >= global().level.load(); }

void write(Level level, std::string_view msg, Fields fields) {
  if (level < global().level.load()) {
    return;
  }
  current()->write(level, msg, fields);
}

}  // namespace univirt::log
