#pragma once

// client-go's workqueue, narrowed to what the lifecycle engine needs: keys, not items. A key is
// processed by one worker at a time (requests for one object run in order); different keys run
// in parallel on a fixed pool. A key enqueued while it waits is coalesced; a key enqueued while
// it is being processed runs again afterwards, because the worker reads the latest state.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace univirt::lifecycle {

class KeyedWorkQueue {
 public:
  using Work = std::function<void(const std::string& key)>;

  KeyedWorkQueue(std::size_t workers, Work work);
  ~KeyedWorkQueue();
  KeyedWorkQueue(const KeyedWorkQueue&) = delete;
  KeyedWorkQueue& operator=(const KeyedWorkQueue&) = delete;

  void enqueue(const std::string& key);
  // Lets running work finish, drops waiting keys, joins the workers. Idempotent.
  void stop();
  // Blocks until nothing waits and nothing runs (tests and benchmarks).
  void waitIdle();

 private:
  void workerLoop();

  Work work_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;            // guarded by mu_
  std::unordered_set<std::string> dirty_;    // guarded by mu_; queued or to re-run
  std::unordered_set<std::string> running_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::jthread> workers_;
};

}  // namespace univirt::lifecycle
