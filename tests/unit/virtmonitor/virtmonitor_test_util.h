#pragma once

// Helpers shared by the virtmonitor tests: a plain HTTP GET on 127.0.0.1 and
// `promtool check metrics` on a text, with stdin fed from a temp file (no shell).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace univirt::virtmonitor::testing {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

inline HttpReply httpGet(std::uint16_t port, const std::string& path,
                         const std::string& method = Poco::Net::HTTPRequest::HTTP_GET) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpReply reply;
  reply.status = static_cast<int>(response.getStatus());
  reply.content_type = response.getContentType();
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

inline bool promtoolInstalled() { return std::filesystem::exists("/usr/bin/promtool"); }

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `promtool check metrics < text`.
inline PromtoolResult promtoolCheckMetrics(const std::string& text) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vmon-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string in_path = (dir / "in.txt").string();
  const std::string out_path = (dir / "out.txt").string();
  { std::ofstream(in_path) << text; }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string program = "promtool";
  std::string check = "check";
  std::string metrics = "metrics";
  char* argv[] = {program.data(), check.data(), metrics.data(), nullptr};
  pid_t pid = 0;
  PromtoolResult result;
  if (posix_spawnp(&pid, "promtool", &actions, nullptr, argv, environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  std::ifstream out(out_path);
  std::stringstream buffer;
  buffer << out.rdbuf();
  result.output = buffer.str();
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace univirt::virtmonitor::testing
