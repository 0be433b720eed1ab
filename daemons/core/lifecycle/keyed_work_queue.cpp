#include "core/lifecycle/keyed_work_queue.h"

#include <algorithm>

namespace univirt::lifecycle {

KeyedWorkQueue::KeyedWorkQueue(std::size_t workers, Work work) : work_(std::move(work)) {
  const std::size_t count = std::max<std::size_t>(workers, 1);
  workers_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    workers_.emplace_back([this] { workerLoop(); });
  }
}

KeyedWorkQueue::~KeyedWorkQueue() { stop(); }

void KeyedWorkQueue::enqueue(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !dirty_.insert(key).second) {
      return;
    }
    if (running_.contains(key)) {
      return;  // re-queued by the worker that holds it, when it finishes
    }
    queue_.push_back(key);
  }
  changed_.notify_all();
}

void KeyedWorkQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
    dirty_.clear();
  }
  changed_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) {
      worker.join();
    }
  }
}

void KeyedWorkQueue::waitIdle() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return stopping_ || (queue_.empty() && running_.empty()); });
}

void KeyedWorkQueue::workerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      return;
    }
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    dirty_.erase(key);
    running_.insert(key);
    lock.unlock();
    work_(key);
    lock.lock();
    running_.erase(key);
    if (dirty_.contains(key) && !stopping_) {
      queue_.push_back(key);
    }
    changed_.notify_all();
  }
}

}  // namespace univirt::lifecycle
