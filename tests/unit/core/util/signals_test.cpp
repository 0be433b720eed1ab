#include "core/util/signals.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace univirt::util {
namespace {

constexpr auto kWait = std::chrono::seconds(10);

// What the watcher's callbacks saw, with a way to wait for it.
struct Seen {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<int> signals;  // guarded by mu; SIGHUP for on_hangup
  std::thread::id thread;    // guarded by mu

  SignalWatcher::Handlers handlers() {
    return {.on_terminate = [this](int signal) { record(signal); },
            .on_hangup = [this] { record(SIGHUP); }};
  }
  void record(int signal) {
    std::lock_guard lock(mu);
    signals.push_back(signal);
    thread = std::this_thread::get_id();
    changed.notify_all();
  }
  bool waitFor(std::size_t count) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, kWait, [&] { return signals.size() >= count; });
  }
};

TEST(SignalWatcher, TermAndIntRunOnTerminateOnTheWatcherThread) {
  Seen seen;
  auto watcher = SignalWatcher::start(seen.handlers());
  ASSERT_TRUE(watcher.has_value()) << watcher.error().message;
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_TRUE(seen.waitFor(1));
  ASSERT_EQ(::kill(::getpid(), SIGINT), 0);
  ASSERT_TRUE(seen.waitFor(2));
  std::lock_guard lock(seen.mu);
  EXPECT_EQ(seen.signals, (std::vector<int>{SIGTERM, SIGINT}));
  EXPECT_NE(seen.thread, std::this_thread::get_id());
}

TEST(SignalWatcher, HupRunsOnHangup) {
  Seen seen;
  auto watcher = SignalWatcher::start(seen.handlers());
  ASSERT_TRUE(watcher.has_value()) << watcher.error().message;
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  ASSERT_TRUE(seen.waitFor(1));
  std::lock_guard lock(seen.mu);
  EXPECT_EQ(seen.signals, (std::vector<int>{SIGHUP}));
}

TEST(SignalWatcher, SignalsSentBeforeStartAreDelivered) {
  blockShutdownSignals();
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);  // pending: blocked everywhere, nobody waits yet
  Seen seen;
  auto watcher = SignalWatcher::start(seen.handlers());
  ASSERT_TRUE(watcher.has_value()) << watcher.error().message;
  ASSERT_TRUE(seen.waitFor(1));
}

TEST(SignalWatcher, StopsWithoutAnySignal) {
  Seen seen;
  auto watcher = SignalWatcher::start(seen.handlers());
  ASSERT_TRUE(watcher.has_value()) << watcher.error().message;
  watcher->reset();  // joins the watcher thread; a hang here fails the test by timeout
  std::lock_guard lock(seen.mu);
  EXPECT_TRUE(seen.signals.empty());
}

TEST(BlockShutdownSignals, BlocksTheSignalsAndIgnoresSigpipe) {
  blockShutdownSignals();
  sigset_t mask;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, nullptr, &mask), 0);
  EXPECT_EQ(sigismember(&mask, SIGTERM), 1);
  EXPECT_EQ(sigismember(&mask, SIGINT), 1);
  EXPECT_EQ(sigismember(&mask, SIGHUP), 1);

  // A write to a pipe nobody reads fails with EPIPE instead of killing the process.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  char byte = 'x';
  EXPECT_EQ(::write(fds[1], &byte, 1), -1);
  EXPECT_EQ(errno, EPIPE);
  ::close(fds[1]);
}

}  // namespace
}  // namespace univirt::util
