#include "core/util/main_runner.h"

#include <exception>
#include <iostream>
#include <vector>

#include "core/util/log.h"
#include "core/util/signals.h"

namespace univirt::util {
namespace {

int usageError(const ConfigSchema& schema, const MainIo& io, std::string_view message) {
  io.err << schema.daemon() << ": " << message << '\n';
  io.err.flush();
  return kExitUsage;
}

int runBody(const ConfigSchema& schema, const Config& config, const MainIo& io,
            const DaemonBody& body) {
  for (const std::string& warning : config.warnings()) {
    log::warn("configuration warning", {{"detail", warning}});
  }
  try {
    return body(config);
  } catch (const UsageError& e) {
    return usageError(schema, io, e.what());
  } catch (const std::exception& e) {
    log::error("daemon failed", {{"err", e.what()}});
  } catch (...) {
    log::error("daemon failed", {{"err", "unknown exception"}});
  }
  return kExitFailure;
}

}  // namespace

int runMain(const ConfigSchema& schema, std::span<const std::string> args, const MainIo& io,
            const DaemonBody& body) {
  auto invocation = loadConfig(schema, args, io.env);
  if (!invocation) {
    return usageError(schema, io, invocation.error().message);
  }
  if (invocation->action == Invocation::Action::PrintAndExit) {
    io.out << invocation->text;
    io.out.flush();
    return kExitOk;
  }
  const Config& config = invocation->config;
  log::Options options{.daemon = std::string(schema.daemon()),
                       .level = *log::parseLevel(config.getString("log-level")),
                       .format = *log::parseFormat(config.getString("log-format")),
                       .file = config.getString("log-file"),
                       .console = [&err = io.err](std::string_view line) {
                         err << line;
                         err.flush();
                       }};
  if (auto configured = log::configure(std::move(options)); !configured) {
    // Names where the path came from: the flag, variable or file:line, else the key.
    const std::string& source = config.source("log-file");
    std::string where = source == "default" ? std::string("log-file") : source;
    return usageError(schema, io, where + ": " + configured.error().message);
  }
  int code = runBody(schema, config, io, body);
  log::install(nullptr);  // the logger writes to io.err, which the caller may destroy now
  return code;
}

int runMain(const ConfigSchema& schema, int argc, char** argv, const DaemonBody& body) {
  // First, before the body or any library starts a thread (style.md §7, signals.h).
  blockShutdownSignals();
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  Environment env = processEnvironment();
  return runMain(schema, args, MainIo{.env = env, .out = std::cout, .err = std::cerr}, body);
}

}  // namespace univirt::util
