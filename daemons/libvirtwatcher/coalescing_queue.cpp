#include "libvirtwatcher/coalescing_queue.h"

#include <algorithm>

namespace univirt::libvirtwatcher {

CoalescingQueue::CoalescingQueue(std::size_t workers, std::chrono::milliseconds window, Work work)
    : window_(window), work_(std::move(work)) {
  const std::size_t count = std::max<std::size_t>(workers, 1);
  workers_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    workers_.emplace_back([this] { workerLoop(); });
  }
}

CoalescingQueue::~CoalescingQueue() { stop(); }

void CoalescingQueue::enqueue(const std::string& key) {
  const TimePoint due = std::chrono::steady_clock::now() + window_;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || waiting_.contains(key)) {
      return;  // joins the waiting one, which reads the latest state when it runs
    }
    if (running_.contains(key)) {
      again_.try_emplace(key, due);  // the first enqueue during the run sets the due time
      return;
    }
    schedule(key, due);
  }
  changed_.notify_all();
}

void CoalescingQueue::schedule(const std::string& key, TimePoint due) {
  waiting_[key] = due_.emplace(due, key);
}

void CoalescingQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    due_.clear();
    waiting_.clear();
    again_.clear();
  }
  changed_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) {
      worker.join();
    }
  }
}

void CoalescingQueue::waitIdle() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return stopping_ || (due_.empty() && running_.empty()); });
}

void CoalescingQueue::workerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    if (stopping_) {
      return;
    }
    if (due_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const TimePoint first = due_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      changed_.wait_until(lock, first);
      continue;
    }
    std::string key = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    waiting_.erase(key);
    running_.insert(key);
    lock.unlock();
    work_(key);
    lock.lock();
    running_.erase(key);
    if (auto again = again_.find(key); again != again_.end()) {
      if (!stopping_) {
        schedule(key, again->second);
      }
      again_.erase(again);
    }
    changed_.notify_all();
  }
}

}  // namespace univirt::libvirtwatcher
