#pragma once

// CoalescingQueue: a keyed work queue (core/lifecycle/keyed_work_queue.h) with a coalescing
// window. A key enqueued at time t is handed to a worker at t + window; enqueues of the same key
// before then join it, so a burst of events for one domain becomes one refresh that reads the
// latest state ("last state wins"). A key is processed by one worker at a time; a key enqueued
// while it is being processed runs once more afterwards, again after the window.
//
// The window bounds the latency a burst adds (the first event is never delayed by more than
// the window), unlike a debounce that waits for quiet. Workers sleep on a condition variable
// until the earliest key is due, so waiting keys never hold a worker.
//
// Time is the steady clock: the queue waits on a condition variable, which util::Clock cannot
// drive; tests use a window of zero or wait on results, never on the clock.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace univirt::libvirtwatcher {

class CoalescingQueue {
 public:
  using Work = std::function<void(const std::string& key)>;
  using TimePoint = std::chrono::steady_clock::time_point;

  CoalescingQueue(std::size_t workers, std::chrono::milliseconds window, Work work);
  ~CoalescingQueue();
  CoalescingQueue(const CoalescingQueue&) = delete;
  CoalescingQueue& operator=(const CoalescingQueue&) = delete;

  void enqueue(const std::string& key);
  // Lets running work finish, drops waiting keys, joins the workers. Idempotent.
  void stop();
  // Blocks until nothing waits and nothing runs (tests and benchmarks).
  void waitIdle();

 private:
  void schedule(const std::string& key, TimePoint due);  // with mu_ held
  void workerLoop();

  const std::chrono::milliseconds window_;
  Work work_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::multimap<TimePoint, std::string> due_;  // guarded by mu_
  std::unordered_map<std::string, std::multimap<TimePoint, std::string>::iterator>
      waiting_;                                       // guarded by mu_
  std::unordered_set<std::string> running_;           // guarded by mu_
  std::unordered_map<std::string, TimePoint> again_;  // guarded by mu_: enqueued while running
  bool stopping_ = false;                             // guarded by mu_
  std::vector<std::jthread> workers_;
};

}  // namespace univirt::libvirtwatcher
