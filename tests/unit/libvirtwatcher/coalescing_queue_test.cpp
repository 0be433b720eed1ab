#include "libvirtwatcher/coalescing_queue.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

namespace univirt::libvirtwatcher {
namespace {

using namespace std::chrono_literals;

// Counts runs per key; a run of `blocking_key` waits until release() (so a test can enqueue
// while a key is being processed).
class Recorder {
 public:
  void run(const std::string& key) {
    std::unique_lock lock(mu_);
    runs_[key]++;
    if (key == blocking_key_) {
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
  }
  void block(const std::string& key) {
    std::lock_guard lock(mu_);
    blocking_key_ = key;
  }
  bool waitEntered() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 10s, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }
  int runs(const std::string& key) {
    std::lock_guard lock(mu_);
    return runs_[key];
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, int> runs_;
  std::string blocking_key_;
  bool entered_ = false;
  bool released_ = false;
};

TEST(CoalescingQueue, ABurstForOneKeyWithinTheWindowRunsOnce) {
  Recorder recorder;
  CoalescingQueue queue(2, 200ms, [&](const std::string& key) { recorder.run(key); });
  for (int i = 0; i < 100; ++i) {
    queue.enqueue("vm1");
  }
  queue.enqueue("vm2");
  queue.waitIdle();
  EXPECT_EQ(recorder.runs("vm1"), 1);
  EXPECT_EQ(recorder.runs("vm2"), 1);
}

TEST(CoalescingQueue, EnqueuedWhileRunningRunsOnceMoreAfterwards) {
  Recorder recorder;
  recorder.block("vm1");
  CoalescingQueue queue(2, 0ms, [&](const std::string& key) { recorder.run(key); });
  queue.enqueue("vm1");
  ASSERT_TRUE(recorder.waitEntered());
  for (int i = 0; i < 10; ++i) {
    queue.enqueue("vm1");
  }
  recorder.release();
  queue.waitIdle();
  EXPECT_EQ(recorder.runs("vm1"), 2);
}

TEST(CoalescingQueue, WaitingKeysDoNotHoldWorkers) {
  // One worker, 20 keys, a 300 ms window each: if a waiting key held the worker the windows
  // would add up to 6 s; they overlap, so all run shortly after the first window ends.
  std::atomic<int> runs{0};
  CoalescingQueue queue(1, 300ms, [&](const std::string& /*key*/) { runs++; });
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    queue.enqueue("vm" + std::to_string(i));
  }
  queue.waitIdle();
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(runs.load(), 20);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(CoalescingQueue, StopDropsWaitingKeys) {
  Recorder recorder;
  CoalescingQueue queue(1, 10'000ms, [&](const std::string& key) { recorder.run(key); });
  queue.enqueue("vm1");
  queue.stop();
  queue.enqueue("vm2");
  queue.waitIdle();
  EXPECT_EQ(recorder.runs("vm1"), 0);
  EXPECT_EQ(recorder.runs("vm2"), 0);
}

}  // namespace
}  // namespace univirt::libvirtwatcher
