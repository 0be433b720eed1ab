#include "core/lifecycle/keyed_work_queue.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace univirt::lifecycle {
namespace {

using namespace std::chrono_literals;

TEST(KeyedWorkQueue, NeverRunsOneKeyTwiceAtOnceButRunsKeysInParallel) {
  std::mutex mu;
  std::map<std::string, int> running;
  int max_same_key = 0;
  int max_total = 0;
  std::atomic<int> runs{0};
  KeyedWorkQueue queue(4, [&](const std::string& key) {
    {
      std::lock_guard lock(mu);
      max_same_key = std::max(max_same_key, ++running[key]);
      int total = 0;
      for (const auto& [k, n] : running) {
        total += n;
      }
      max_total = std::max(max_total, total);
    }
    std::this_thread::sleep_for(20ms);
    std::lock_guard lock(mu);
    --running[key];
    ++runs;
  });
  for (int round = 0; round < 5; ++round) {
    for (const char* key : {"a", "b", "c"}) {
      queue.enqueue(key);
    }
    std::this_thread::sleep_for(5ms);
  }
  queue.waitIdle();
  EXPECT_EQ(max_same_key, 1);
  EXPECT_GT(max_total, 1);
  EXPECT_GE(runs.load(), 3);
}

TEST(KeyedWorkQueue, CoalescesWaitingKeysAndRerunsAKeyEnqueuedWhileRunning) {
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  KeyedWorkQueue queue(1, [&](const std::string&) {
    ++runs;
    while (!release.load()) {
      std::this_thread::sleep_for(1ms);
    }
  });
  queue.enqueue("k");
  while (runs.load() == 0) {
    std::this_thread::sleep_for(1ms);
  }
  // While "k" runs, three more enqueues become one re-run.
  queue.enqueue("k");
  queue.enqueue("k");
  queue.enqueue("k");
  release = true;
  queue.waitIdle();
  EXPECT_EQ(runs.load(), 2);
}

TEST(KeyedWorkQueue, StopDropsWaitingWorkAndIgnoresLaterEnqueues) {
  std::atomic<int> runs{0};
  KeyedWorkQueue queue(1, [&](const std::string&) {
    ++runs;
    std::this_thread::sleep_for(30ms);
  });
  queue.enqueue("a");
  queue.enqueue("b");
  queue.enqueue("c");
  std::this_thread::sleep_for(10ms);
  queue.stop();
  const int after_stop = runs.load();
  queue.enqueue("d");
  EXPECT_LE(after_stop, 2);
  EXPECT_EQ(runs.load(), after_stop);
}

}  // namespace
}  // namespace univirt::lifecycle
