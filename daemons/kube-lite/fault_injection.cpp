#include "kube-lite/fault_injection.h"

namespace univirt::kubelite {

using nlohmann::json;

std::optional<ApiError> FaultInjector::control(const json& body) {
  if (!body.is_object()) {
    return badRequest("the fault-injection request must be a JSON object");
  }
  std::lock_guard lock(mu_);
  if (body.contains("failNext")) {
    const json& spec = body["failNext"];
    if (!spec.is_object() || !spec.contains("count") || !spec["count"].is_number_integer()) {
      return badRequest("failNext needs an integer 'count' and an optional 'code' (429 or 500)");
    }
    int code = spec.value("code", 500);
    if (code != 429 && code != 500) {
      return badRequest("failNext 'code' must be 429 or 500");
    }
    fail_count_ = spec["count"].get<int>();
    fail_code_ = code;
  }
  if (body.contains("latencyMs")) {
    if (!body["latencyMs"].is_number_integer() || body["latencyMs"].get<int>() < 0) {
      return badRequest("latencyMs must be a non-negative integer");
    }
    latency_ = std::chrono::milliseconds(body["latencyMs"].get<int>());
  }
  if (body.value("compact", false)) {
    hub_.compact();
  }
  if (body.value("dropWatches", false)) {
    hub_.dropAll();
  }
  return std::nullopt;
}

json FaultInjector::state() const {
  std::lock_guard lock(mu_);
  return {{"failNext", {{"count", fail_count_}, {"code", fail_code_}}},
          {"latencyMs", latency_.count()},
          {"oldestServableResourceVersion", std::to_string(hub_.oldestServable())}};
}

std::optional<ApiError> FaultInjector::nextFailure() {
  if (!enabled_) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  if (fail_count_ <= 0) {
    return std::nullopt;
  }
  --fail_count_;
  if (fail_code_ == 429) {
    return tooManyRequests(1);
  }
  return internalError("injected fault");
}

std::chrono::milliseconds FaultInjector::latency() const {
  if (!enabled_) {
    return std::chrono::milliseconds(0);
  }
  std::lock_guard lock(mu_);
  return latency_;
}

}  // namespace univirt::kubelite
