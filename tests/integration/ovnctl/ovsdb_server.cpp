#include "integration/ovnctl/ovsdb_server.h"

#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util/exec.h"

namespace univirt::ovnctl::testing {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

util::Result<std::unique_ptr<OvsdbServer>> OvsdbServer::start(const std::string& schema, bool tcp) {
  if (!fs::exists(schema)) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("schema '{}' is missing: apt-get install ovn-central "
                                   "openvswitch-switch",
                                   schema)};
  }
  std::string pattern = (fs::temp_directory_path() / "univirt-ovsdb.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return util::Error{util::ErrorCode::Internal, "mkdtemp failed"};
  }
  std::unique_ptr<OvsdbServer> server(new OvsdbServer(fs::path(pattern)));
  const fs::path& dir = server->dir_;
  auto created = util::runProgram({"ovsdb-tool", "create", (dir / "db").string(), schema});
  if (!created) {
    return created.error();
  }
  if (auto ok = util::checkSucceeded({"ovsdb-tool"}, *created); !ok) {
    return ok.error();
  }
  // --unixctl: the default control socket's directory need not exist (recipes.md "OVN").
  std::vector<std::string> argv = {"ovsdb-server",
                                   "--remote=punix:" + (dir / "db.sock").string(),
                                   "--unixctl=" + (dir / "db.ctl").string(),
                                   "--pidfile=" + (dir / "db.pid").string(),
                                   "--log-file=" + (dir / "db.log").string(),
                                   "--detach",
                                   (dir / "db").string()};
  if (tcp) {
    // The listener is open before --detach returns, so the log names its port by then.
    argv.insert(argv.begin() + 1, "--remote=ptcp:0:127.0.0.1");
  }
  auto started = util::runProgram(argv, {.timeout = std::chrono::seconds(30)});
  if (!started) {
    return started.error();
  }
  if (auto ok = util::checkSucceeded(argv, *started); !ok) {
    return ok.error();
  }
  std::ifstream pidfile(dir / "db.pid");
  pidfile >> server->pid_;
  if (server->pid_ <= 0) {
    return util::Error{util::ErrorCode::Internal, "ovsdb-server wrote no pid file"};
  }
  return server;
}

OvsdbServer::~OvsdbServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    // The server daemonized, so it is not our child: a pidfd becomes readable when it exits.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      pollfd pfd{.fd = pidfd, .events = POLLIN, .revents = 0};
      if (::poll(&pfd, 1, 10'000) == 0) {
        ::kill(pid_, SIGKILL);
      }
      ::close(pidfd);
    }
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

int OvsdbServer::tcpPort() const {
  std::ifstream log(dir_ / "db.log");
  const std::string marker = "listening on port ";
  std::string line;
  while (std::getline(log, line)) {
    if (const auto at = line.find(marker); at != std::string::npos) {
      return std::atoi(line.c_str() + at + marker.size());
    }
  }
  return 0;
}

bool OvsdbServer::tryRun(const std::vector<std::string>& argv, std::string* out) const {
  auto result = util::runProgram(argv, {.timeout = std::chrono::seconds(30)});
  if (!result) {
    if (out != nullptr) {
      *out = result.error().message;
    }
    return false;
  }
  if (out != nullptr) {
    *out = trim(result->succeeded() ? result->out : result->err);
  }
  return result->succeeded();
}

std::string OvsdbServer::run(std::vector<std::string> argv) const {
  std::string out;
  if (!tryRun(argv, &out)) {
    ADD_FAILURE() << fmt::format("{} failed: {}", fmt::join(argv, " "), out);
    return {};
  }
  return out;
}

std::string OvsdbServer::dump() const { return run({"ovsdb-client", "dump", endpoint()}); }

std::string OvsdbServer::nbctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovn-nbctl", "--db=" + endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(std::move(argv));
}

std::string OvsdbServer::vsctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-vsctl", "--db=" + endpoint(), "--no-wait"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(std::move(argv));
}

}  // namespace univirt::ovnctl::testing
