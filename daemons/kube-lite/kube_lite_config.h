#pragma once

// kube-lite's configuration, one row per option (style.md §6): the table feeds CLI11.

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace univirt::kubelite {

struct KubeLiteConfig {
  std::string data_dir;
  std::vector<std::string> bind_addresses = {"127.0.0.1"};
  int port = 6443;
  std::string port_file;
  bool insecure_http = false;
  std::string token_file;  // default <data-dir>/tokens.csv
  std::string write_kubeconfig;
  std::string kubeconfig_auth = "token";
  std::string reported_minor = "32";
  std::string audit_log;
  bool enable_fault_injection = false;
  int watch_history = 10000;
  double bookmark_interval_seconds = 60;
  long max_request_bytes = 3 * 1024 * 1024;
  int max_threads = 512;
};

// Declares every option on `app`, bound to `config`.
void addOptions(CLI::App& app, KubeLiteConfig& config);

// Parses the command line into `config`. Returns the exit code when the process should stop
// (0 after --help, 2 for a usage error, message already printed), nullopt to run.
std::optional<int> parseCommandLine(int argc, char** argv, KubeLiteConfig& config);

}  // namespace univirt::kubelite
