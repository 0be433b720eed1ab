#pragma once

// FaultInjector: test-only misbehaviour, off unless kube-lite runs with
// --enable-fault-injection. Driven through POST /kube-lite/faults with a JSON body:
//   {"dropWatches": true}                 end every open watch now
//   {"compact": true}                     forget the watch history (old RVs get 410)
//   {"failNext": {"count": 3, "code": 429}}  answer the next N API requests with 429 or 500
//   {"latencyMs": 200}                    delay every API request (0 turns it off)
// Keys may be combined. GET /kube-lite/faults shows the current settings.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "kube-lite/api_error.h"
#include "kube-lite/watch_hub.h"

namespace univirt::kubelite {

class FaultInjector {
 public:
  FaultInjector(bool enabled, WatchHub& hub) : enabled_(enabled), hub_(hub) {}

  bool enabled() const { return enabled_; }
  // Applies a control request; the error is a 400 for a malformed body.
  std::optional<ApiError> control(const nlohmann::json& body);
  nlohmann::json state() const;

  // Consulted once per API request: an error to answer instead, if one is due.
  std::optional<ApiError> nextFailure();
  std::chrono::milliseconds latency() const;

 private:
  const bool enabled_;
  WatchHub& hub_;
  mutable std::mutex mu_;
  int fail_count_ = 0;                    // guarded by mu_
  int fail_code_ = 500;                   // guarded by mu_
  std::chrono::milliseconds latency_{0};  // guarded by mu_
};

}  // namespace univirt::kubelite
