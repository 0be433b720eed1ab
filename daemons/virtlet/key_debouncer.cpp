#include "virtlet/key_debouncer.h"

#include <algorithm>
#include <optional>

namespace univirt::virtlet {

KeyedDebouncer::KeyedDebouncer(std::chrono::milliseconds window, Handler handler,
                               util::Clock& clock)
    : window_(window), handler_(std::move(handler)), clock_(clock) {}

KeyedDebouncer::~KeyedDebouncer() { stop(); }

void KeyedDebouncer::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void KeyedDebouncer::stop() {
  if (!thread_.joinable()) {
    return;
  }
  thread_.request_stop();
  {
    std::lock_guard lock(mu_);
    wake_.request_stop();
  }
  thread_.join();
}

void KeyedDebouncer::submit(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (inserted || (!entry.pending && now >= entry.window_end)) {
    entry.due = now;  // leading edge: at once
    entry.window_end = now + window_;
  } else if (!entry.pending) {
    entry.due = entry.window_end;  // trailing edge: once, when the window closes
  }
  entry.pending = true;
  wake_.request_stop();
}

std::size_t KeyedDebouncer::pending() const {
  std::lock_guard lock(mu_);
  std::size_t count = running_handler_ ? 1 : 0;
  for (const auto& entry : entries_) {
    count += entry.second.pending ? 1 : 0;
  }
  return count;
}

std::size_t KeyedDebouncer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

void KeyedDebouncer::run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    std::optional<std::string> key;
    std::optional<util::Clock::TimePoint> next;
    std::stop_token wake;
    {
      std::lock_guard lock(mu_);
      const auto now = clock_.now();
      for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& entry = it->second;
        if (entry.pending && entry.due <= now && !key) {
          key = it->first;
          entry.pending = false;
          entry.window_end = std::max(entry.window_end, now + window_);
          running_handler_ = true;
        } else if (!entry.pending && now >= entry.window_end) {
          it = entries_.erase(it);
          continue;
        }
        if (entry.pending && (!next || entry.due < *next)) {
          next = entry.due;
        }
        ++it;
      }
      if (!key) {
        wake_ = std::stop_source();
        wake = wake_.get_token();
      }
    }
    if (key) {
      handler_(*key);
      std::lock_guard lock(mu_);
      running_handler_ = false;
      ++runs_;
      continue;
    }
    if (stop.stop_requested()) {
      return;
    }
    // Nothing due: sleep until the next due key, or until submit()/stop() wakes us.
    clock_.sleepUntil(next.value_or(clock_.now() + std::chrono::hours(24)), wake);
  }
}

}  // namespace univirt::virtlet
