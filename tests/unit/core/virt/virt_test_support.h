#pragma once

// Helpers shared by the core/virt unit tests. Everything runs against libvirt's in-process
// test driver (test:///default), whose state lives as long as one connection to it is open.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace univirt::virt::testing {

inline constexpr char kTestUri[] = "test:///default";
// Real-time bound for waits on other threads; generous so a loaded CI machine never flakes.
inline constexpr std::chrono::seconds kWaitTimeout{10};

// A name unique to the running test, for objects it creates in the shared test driver.
inline std::string uniqueName(std::string_view prefix) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format("{}-{}-{}", prefix, info->test_suite_name(), info->name());
}

// The smallest domain the test driver accepts.
inline std::string testDomainXml(std::string_view name) {
  return fmt::format(
      "<domain type='test'><name>{}</name><memory unit='KiB'>131072</memory>"
      "<vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
      name);
}

// Collects values pushed from other threads; tests wait for a condition on them.
template <typename T>
class Recorder {
 public:
  void push(T value) {
    {
      std::lock_guard lock(mu_);
      values_.push_back(std::move(value));
    }
    changed_.notify_all();
  }

  // Waits (real time, bounded) until `done(values)` holds; returns whether it did.
  bool waitFor(const std::function<bool(const std::vector<T>&)>& done,
               std::chrono::milliseconds timeout = kWaitTimeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return done(values_); });
  }

  std::vector<T> values() const {
    std::lock_guard lock(mu_);
    return values_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<T> values_;  // guarded by mu_
};

}  // namespace univirt::virt::testing
