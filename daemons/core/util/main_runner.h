#pragma once

// runMain(): the frame of every daemon's main() (style.md §7), so each main.cpp only wires:
//
//   int main(int argc, char** argv) {
//     util::ConfigSchema schema("virtctl", "Runs lifecycle requests", kVirtctlOptions);
//     schema.setDefault("health-address", "127.0.0.1:19990");
//     return util::runMain(schema, argc, argv, [](const util::Config& config) {
//       ... build collaborators, core::Daemon::run() ...
//     });
//   }
//
// It blocks the shutdown signals before any thread exists, loads the configuration, sets up
// logging from it (log-level, log-format, log-file) and runs the body. Exit codes:
//   0  the body returned 0, or --help / --version was printed
//   2  usage or configuration error: exactly one line "<daemon>: <message>" on stderr, e.g.
//      "virtctl: /etc/univirt/univirt.conf:7: unknown key 'log-levle' (known: ...)"
//   1  an exception escaped the body (logged as "daemon failed" with err=...)
//   else whatever the body returned.

#include <functional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>

#include "core/util/config.h"

namespace univirt::util {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown by a body for a configuration problem only it can see (say, a node name that is not
// a valid DNS label): runMain prints "<daemon>: <what>" and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using DaemonBody = std::function<int(const Config& config)>;

struct MainIo {
  const Environment& env;
  std::ostream& out;  // --help, --version
  std::ostream& err;  // the one-line errors and, while the body runs, the log lines
};

// For main(): the process environment, stdout and stderr.
int runMain(const ConfigSchema& schema, int argc, char** argv, const DaemonBody& body);
// The same with the arguments (without the program name), environment and streams given.
int runMain(const ConfigSchema& schema, std::span<const std::string> args, const MainIo& io,
            const DaemonBody& body);

}  // namespace univirt::util
