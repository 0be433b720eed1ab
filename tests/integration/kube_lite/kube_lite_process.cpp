#include "integration/kube_lite/kube_lite_process.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace univirt::testing {

namespace fs = std::filesystem;

namespace {

std::string makeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "kube-lite-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  return made != nullptr ? std::string(made) : std::string();
}

// In the collection directory named by UNIVIRT_AUDIT_DIR, a name no other kube-lite of this
// or a concurrent test process uses (the test dir's name is unique); else in the test dir.
std::string auditLogPath(const std::string& test_dir) {
  const char* collection = std::getenv("UNIVIRT_AUDIT_DIR");
  if (collection == nullptr || *collection == '\0') {
    return test_dir + "/audit.log";
  }
  std::error_code ec;
  fs::create_directories(collection, ec);
  return (fs::path(collection) /
          fmt::format("{}-{}.audit.jsonl", fs::path(test_dir).filename().string(), ::getpid()))
      .string();
}

}  // namespace

namespace {

// Waits until `done()` holds, re-checking whenever inotify reports `mask` on `watched`, so no
// caller polls on a timer. Without inotify it checks once.
bool waitForChange(const std::string& watched, std::uint32_t mask,
                   const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) {
    return done();
  }
  inotify_add_watch(fd, watched.c_str(), mask);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = done();
  while (!found) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) > 0) {
      char buffer[4096];
      while (read(fd, buffer, sizeof(buffer)) > 0) {
      }
    }
    found = done();
  }
  close(fd);
  return found;
}

}  // namespace

bool waitForFile(const std::string& path, std::chrono::milliseconds timeout) {
  fs::path file(path);
  return waitForChange(
      file.parent_path().string(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE,
      [&file] { return fs::exists(file); }, timeout);
}

bool waitForFileContaining(const std::string& path, const std::string& needle,
                           std::chrono::milliseconds timeout) {
  return waitForChange(
      path, IN_MODIFY | IN_CLOSE_WRITE,
      [&] { return readWholeFile(path).find(needle) != std::string::npos; }, timeout);
}

std::string kubeLiteFixture(const std::string& name) {
  return std::string(UNIVIRT_SOURCE_DIR) + "/tests/fixtures/kube-lite/" + name;
}

KubeLiteProcess::KubeLiteProcess(KubeLiteOptions options)
    : options_(std::move(options)), dir_(makeTempDir()), audit_log_(auditLogPath(dir_)) {}

KubeLiteProcess::~KubeLiteProcess() {
  if (process_.running()) {
    process_.stop(SIGKILL);
  }
  std::error_code ec;
  if (std::getenv("KUBE_LITE_KEEP_TEST_DIR") == nullptr) {
    fs::remove_all(dir_, ec);
  }
}

bool KubeLiteProcess::start(std::chrono::milliseconds timeout) {
  std::string port_file = dir_ + "/port";
  fs::remove(port_file);
  std::vector<std::string> argv = {
      std::string(UNIVIRT_BINARY_DIR) + "/daemons/kube-lite/univirt-kube-lite", "--data-dir",
      dataDir(), "--bind-address", "127.0.0.1",
      // Reuse the first port on restarts so clients' kubeconfigs stay valid.
      "--port", std::to_string(port_), "--port-file", port_file, "--write-kubeconfig", kubeconfig(),
      "--kubeconfig-auth", options_.kubeconfig_auth, "--audit-log", auditLog(), "--reported-minor",
      options_.minor, "--bookmark-interval", std::to_string(options_.bookmark_interval_seconds),
      "--watch-history", std::to_string(options_.watch_history)};
  if (options_.fault_injection) {
    argv.emplace_back("--enable-fault-injection");
  }
  if (options_.insecure_http) {
    argv.emplace_back("--insecure-http");
  }
  if (options_.max_request_bytes > 0) {
    argv.emplace_back("--max-request-bytes");
    argv.push_back(std::to_string(options_.max_request_bytes));
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (!process_.start(argv, {}, dir_ + "/kube-lite.out", dir_ + "/kube-lite.err")) {
    error_ = "cannot start univirt-kube-lite";
    return false;
  }
  if (!waitForFile(port_file, timeout)) {
    error_ = "univirt-kube-lite did not write its port file; stderr:\n" + logs();
    return false;
  }
  port_ = std::stoi(readWholeFile(port_file));
  return true;
}

int KubeLiteProcess::stop() { return process_.stop(SIGTERM); }

void KubeLiteProcess::kill() { process_.stop(SIGKILL); }

std::string KubeLiteProcess::token() const {
  std::string line = readWholeFile(dataDir() + "/tokens.csv");
  return line.substr(0, line.find(','));
}

std::string KubeLiteProcess::serverUrl() const {
  return std::string(options_.insecure_http ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port_);
}

std::string KubeLiteProcess::logs() const { return readWholeFile(dir_ + "/kube-lite.err"); }

std::vector<std::string> KubeLiteProcess::kubectlArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/kubectl", "--kubeconfig", kubeconfig(), "--cache-dir",
                                   dir_ + "/kubectl-cache"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult KubeLiteProcess::kubectl(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env,
                                       const std::string& input) const {
  std::vector<std::string> argv = kubectlArgv(args);
  std::map<std::string, std::string> full_env = {{"HOME", dir_}};
  full_env.insert(env.begin(), env.end());
  return runProcess(argv, full_env, input);
}

}  // namespace univirt::testing
