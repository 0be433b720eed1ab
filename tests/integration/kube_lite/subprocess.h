#pragma once

// Runs a program with an argument vector (never a shell), optional extra environment and
// stdin, and collects its exit code, stdout and stderr. Used by the kube-lite suites to drive
// the real kubectl and python3.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace univirt::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by the timeout or a signal
  std::string out;
  std::string err;
};

ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A started background process whose output goes to files; stop() sends SIGTERM and waits.
class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess();

  // stdout/stderr go to `out_path`/`err_path`.
  bool start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::string& out_path, const std::string& err_path);
  // Sends `signal` and waits for exit; returns the exit status as from waitpid (or -1).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

std::string readWholeFile(const std::string& path);

}  // namespace univirt::testing
