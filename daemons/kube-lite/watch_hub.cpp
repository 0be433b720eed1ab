#include "kube-lite/watch_hub.h"

#include <algorithm>

namespace univirt::kubelite {

WatchHub::WatchHub(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void WatchHub::publish(WatchEvent event) {
  event.object_json = event.object.dump();
  auto ptr = std::make_shared<const WatchEvent>(std::move(event));
  {
    std::lock_guard lock(mu_);
    latest_rv_ = ptr->rv;
    history_.push_back(std::move(ptr));
    while (history_.size() > capacity_) {
      window_start_ = history_.front()->rv;
      history_.pop_front();
    }
  }
  changed_.notify_all();
}

void WatchHub::resetWindow(int64_t current_rv) {
  std::lock_guard lock(mu_);
  history_.clear();
  window_start_ = current_rv;
  latest_rv_ = current_rv;
}

WatchHub::Poll WatchHub::wait(int64_t after, std::chrono::steady_clock::time_point deadline,
                              uint64_t generation) {
  std::unique_lock lock(mu_);
  Poll poll;
  auto ready = [&] {
    return shut_down_ || generation_ != generation || after < window_start_ ||
           (!history_.empty() && history_.back()->rv > after);
  };
  changed_.wait_until(lock, deadline, ready);
  poll.current_rv = latest_rv_;
  if (shut_down_ || generation_ != generation) {
    poll.closed = true;
    return poll;
  }
  if (after < window_start_) {
    poll.expired = true;
    return poll;
  }
  auto first = std::upper_bound(history_.begin(), history_.end(), after,
                                [](int64_t rv, const WatchEventPtr& e) { return rv < e->rv; });
  poll.events.assign(first, history_.end());
  return poll;
}

bool WatchHub::servable(int64_t rv) const {
  std::lock_guard lock(mu_);
  return rv >= window_start_;
}

int64_t WatchHub::oldestServable() const {
  std::lock_guard lock(mu_);
  return window_start_;
}

uint64_t WatchHub::dropGeneration() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void WatchHub::compact() {
  {
    std::lock_guard lock(mu_);
    history_.clear();
    window_start_ = latest_rv_;
  }
  changed_.notify_all();
}

void WatchHub::dropAll() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  changed_.notify_all();
}

void WatchHub::shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
  }
  changed_.notify_all();
}

}  // namespace univirt::kubelite
