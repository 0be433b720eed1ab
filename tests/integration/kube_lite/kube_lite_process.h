#pragma once

// KubeLiteProcess: a real univirt-kube-lite for tests, on 127.0.0.1 with port 0 and a
// temporary data dir. start() returns once the server listens (it waits for the port file
// with inotify, no sleeps); kubeconfig() is ready for kubectl/python; stop() sends SIGTERM,
// kill() sends SIGKILL (crash tests); start() again reuses the data dir (restart tests).
// Other suites (daemons against kube-lite) reuse this class.
// The audit log goes to the test dir, or, when UNIVIRT_AUDIT_DIR is set (tests/run sets it),
// to a file of its own in that collection directory, which tests/system/rbac reads.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "integration/kube_lite/subprocess.h"

namespace univirt::testing {

struct KubeLiteOptions {
  std::string minor = "32";
  bool fault_injection = false;
  bool insecure_http = false;
  std::string kubeconfig_auth = "token";  // or "cert"
  double bookmark_interval_seconds = 60;
  int watch_history = 10000;
  long max_request_bytes = 0;  // 0 = server default
  std::vector<std::string> extra_args;
};

class KubeLiteProcess {
 public:
  explicit KubeLiteProcess(KubeLiteOptions options = {});
  ~KubeLiteProcess();

  // Starts the server; false (with a message in lastError()) when it did not come up.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  int stop();  // SIGTERM; returns the wait status
  void kill();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string dataDir() const { return dir_ + "/data"; }
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  const std::string& auditLog() const { return audit_log_; }
  std::string caFile() const { return dir_ + "/data/ca.crt"; }
  std::string token() const;
  std::string serverUrl() const;
  std::string lastError() const { return error_; }
  std::string logs() const;

  // Runs the real kubectl with --kubeconfig and --cache-dir in the test dir.
  ProcessResult kubectl(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& input = "") const;
  // The argv kubectl() runs, for starting kubectl in the background (get -w, delete --wait).
  std::vector<std::string> kubectlArgv(const std::vector<std::string>& args) const;

 private:
  KubeLiteOptions options_;
  std::string dir_;
  std::string audit_log_;
  int port_ = 0;
  std::string error_;
  BackgroundProcess process_;
};

// Absolute path of a fixture under tests/fixtures/kube-lite/.
std::string kubeLiteFixture(const std::string& name);

// Blocks until `path` exists (created or renamed into place) or the deadline passes.
bool waitForFile(const std::string& path, std::chrono::milliseconds timeout);

// Blocks until the file at `path` contains `needle` (inotify on writes) or the deadline passes.
bool waitForFileContaining(const std::string& path, const std::string& needle,
                           std::chrono::milliseconds timeout);

}  // namespace univirt::testing
