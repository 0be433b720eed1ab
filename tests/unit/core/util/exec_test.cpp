#include "core/util/exec.h"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/util/signals.h"
#include "test_support.h"

namespace univirt::util {
namespace {

using std::chrono::milliseconds;
using testing::TempDir;

TEST(RunProgram, CapturesStdoutAndExitCode) {
  auto result = runProgram({"/bin/echo", "hello", "world"});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->out, "hello world\n");
  EXPECT_EQ(result->err, "");
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_TRUE(result->succeeded());
  EXPECT_TRUE(checkSucceeded({"/bin/echo"}, *result).has_value());
}

TEST(RunProgram, FailureIsAValueWithItsExitCode) {
  auto result = runProgram({"/bin/false"});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_FALSE(result->succeeded());
  auto checked = checkSucceeded({"/bin/false"}, *result);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().message, "'/bin/false' exited with status 1");
}

TEST(RunProgram, CapturesStderr) {
  TempDir dir;
  std::string missing = dir.file("missing");
  auto result = runProgram({"ls", missing});  // found through PATH
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_EQ(result->out, "");
  std::string expected = "ls: cannot access '" + missing + "': No such file or directory";
  EXPECT_EQ(result->err, expected + "\n");
  auto checked = checkSucceeded({"ls", missing}, *result);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().message, "'ls' exited with status 2: " + expected);
}

TEST(RunProgram, MissingProgramIsNotFound) {
  auto by_path = runProgram({"/nonexistent/univirt-no-such-program", "x"});
  ASSERT_FALSE(by_path.has_value());
  EXPECT_EQ(by_path.error().code, ErrorCode::NotFound);
  EXPECT_EQ(by_path.error().message,
            "cannot run '/nonexistent/univirt-no-such-program': No such file or directory");

  auto by_name = runProgram({"univirt-no-such-program"});
  ASSERT_FALSE(by_name.has_value());
  EXPECT_EQ(by_name.error().code, ErrorCode::NotFound);
}

TEST(RunProgram, EmptyArgvIsInvalid) {
  auto result = runProgram({});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
}

TEST(RunProgram, PassesShellSyntaxLiterally) {
  TempDir dir;
  std::string canary = dir.file("CANARY");
  auto echoed = runProgram({"/bin/echo", "; touch " + canary, "`touch " + canary + "`"});
  ASSERT_TRUE(echoed.has_value()) << echoed.error().message;
  EXPECT_EQ(echoed->out, "; touch " + canary + " `touch " + canary + "`\n");

  // touch receives the whole string as one file name, created in the working directory.
  std::string odd = "a; touch CANARY $(touch CANARY) && touch CANARY";
  auto touched = runProgram({"/usr/bin/touch", odd}, {.working_dir = dir.path().string()});
  ASSERT_TRUE(touched.has_value()) << touched.error().message;
  EXPECT_TRUE(touched->succeeded()) << touched->err;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / odd));
  EXPECT_FALSE(std::filesystem::exists(canary));
}

TEST(RunProgram, MissingWorkingDirectoryIsAnError) {
  TempDir dir;
  std::string missing = dir.file("missing");
  auto result = runProgram({"/bin/true"}, {.working_dir = missing});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            "cannot run '/bin/true' in '" + missing + "': No such file or directory");
}

TEST(RunProgram, TimeoutKillsTheProgram) {
  auto result = runProgram({"/bin/sleep", "60"}, {.timeout = milliseconds(200)});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Timeout);
  EXPECT_EQ(result.error().message, "'/bin/sleep' did not finish within 200ms and was killed");
}

TEST(RunProgram, ChildStartsWithDefaultSignalMaskAndDispositions) {
  blockShutdownSignals();  // as a daemon: SIGTERM, SIGINT, SIGHUP blocked, SIGPIPE ignored
  auto result = runProgram({"/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  std::istringstream lines(result->out);
  std::string label;
  std::string blocked;
  std::string ignored;
  lines >> label >> blocked >> label >> ignored;
  EXPECT_EQ(std::stoull(blocked, nullptr, 16), 0u) << result->out;
  // Only the classic signals 1-31 count: glibc's posix_spawn leaves its own internal real-time
  // signals (32, 33) ignored, and the new program's libc sets those up again.
  EXPECT_EQ(std::stoull(ignored, nullptr, 16) & 0x7fffffffu, 0u) << result->out;
}

TEST(RunProgram, UsesTheGivenEnvironmentOnly) {
  auto result = runProgram({"/usr/bin/env"}, {.env = std::vector<std::string>{"A=1", "B=two"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->out, "A=1\nB=two\n");
}

TEST(RunProgram, DropsOutputBeyondTheLimit) {
  auto result =
      runProgram({"/usr/bin/head", "-c", "100000", "/dev/zero"}, {.max_output_bytes = 1000});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->succeeded());
  EXPECT_EQ(result->out.size(), 1000u);
  EXPECT_TRUE(result->truncated);
}

TEST(RunProgram, ReportsTheSignalThatEndedTheProgram) {
  // kill(1) sends SIGKILL to its own process: the program ends by that signal.
  auto result = runProgram({"/bin/kill", "-KILL", "0"});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->signal, 9);
  EXPECT_EQ(result->exit_code, -1);
  auto checked = checkSucceeded({"/bin/kill"}, *result);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().message, "'/bin/kill' was killed by signal 9");
}

}  // namespace
}  // namespace univirt::util
