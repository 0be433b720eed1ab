#pragma once

// Runs an external program (qemu-img, ovn-nbctl, ...) with an argument vector. There is no
// shell anywhere: each argument reaches the program byte for byte, so "; rm -rf /" in a
// resource field is just an odd file name (design.md "No shell").
//
// The child gets /dev/null as stdin, pipes for stdout and stderr, the default signal mask and
// dispositions (the daemon blocks SIGTERM and ignores SIGPIPE; the child must not inherit
// that) and its own process group, so a timeout kills whatever it started too.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::util {

struct ExecOptions {
  // The whole run, from start until both pipes are closed and the process is reaped.
  std::chrono::milliseconds timeout{60'000};
  // Output beyond this many bytes per stream is read and dropped, so a chatty program cannot
  // exhaust memory.
  std::size_t max_output_bytes = 16 << 20;
  // The child's working directory; empty: this process's.
  std::string working_dir = {};
  // The child's whole environment as NAME=value entries; nullopt: this process's environment.
  std::optional<std::vector<std::string>> env = std::nullopt;
};

struct ExecResult {
  int exit_code = -1;  // when the program exited; -1 when a signal ended it
  int signal = 0;      // the signal that ended it, else 0
  std::string out;
  std::string err;
  bool truncated = false;  // some output was dropped (max_output_bytes)

  bool succeeded() const { return signal == 0 && exit_code == 0; }
};

// Runs argv[0] (searched in PATH when it contains no '/') with argv as its arguments and waits
// for it. A program that runs and fails is a value (see ExecResult::succeeded); errors are
// only: empty argv (InvalidArgument), program not found (NotFound), not executable
// (PermissionDenied), still running at the timeout (Timeout; the process group is killed).
Result<ExecResult> runProgram(const std::vector<std::string>& argv,
                              const ExecOptions& options = {});

// For callers that treat a failed run as an error: ok() when it succeeded, else Internal with
// "'qemu-img' exited with status 1: <last line of stderr>" or "'x' was killed by signal 9".
Status checkSucceeded(const std::vector<std::string>& argv, const ExecResult& result);

}  // namespace univirt::util
