#include "core/util/lock_file.h"

#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace univirt::util {
namespace {

std::string lockPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) /
          fmt::format("lock-{}-{}", ::getpid(), name) / "daemon.lock")
      .string();
}

// flock(2) locks belong to the open file description, so a second acquire in this process
// on a new descriptor conflicts exactly as another process would.
TEST(LockFile, SecondAcquireFailsWithTheHoldersPidUntilTheFirstIsReleased) {
  const std::string path = lockPath("second");
  {
    auto first = LockFile::acquire(path);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    auto second = LockFile::acquire(path);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::AlreadyExists);
    EXPECT_THAT(second.error().message, ::testing::HasSubstr(std::to_string(::getpid())));
    EXPECT_THAT(second.error().message, ::testing::HasSubstr(path));
  }
  EXPECT_TRUE(LockFile::acquire(path).has_value());
}

TEST(LockFile, IsReleasedWhenTheHolderIsKilled) {
  const std::string path = lockPath("killed");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = LockFile::acquire(path);
    const char byte = held.has_value() ? 'y' : 'n';
    (void)!::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  EXPECT_FALSE(LockFile::acquire(path).has_value());
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(LockFile::acquire(path).has_value());
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(LockFile, ReportsAnUncreatableDirectory) {
  auto lock = LockFile::acquire("/proc/univirt-no-such-dir/x.lock");
  ASSERT_FALSE(lock.has_value());
  EXPECT_THAT(lock.error().message, ::testing::HasSubstr("/proc/univirt-no-such-dir/x.lock"));
}

}  // namespace
}  // namespace univirt::util
