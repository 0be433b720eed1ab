#include "virtctl/request_driver.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle/request_marker.h"
#include "core/util/check.h"
#include "core/util/error.h"

namespace univirt::bench {
namespace {

// A user retrying a request the API refused with 409 gives up after this many attempts.
constexpr int kSubmitAttempts = 5;

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) {
    return kNull;
  }
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace

RequestDriver::RequestDriver(kube::Client& client, const kube::ResourceRef& resource,
                             const std::string& namespace_name, std::vector<std::string> names,
                             std::size_t submitters)
    : client_(client),
      resource_(resource),
      namespace_name_(namespace_name),
      informer_(kube::ListWatch{.client = &client,
                                .resource = resource,
                                .namespace_name = namespace_name,
                                .label_selector = {},
                                .field_selector = {}}),
      submitter_count_(std::max<std::size_t>(submitters, 1)) {
  for (auto& name : names) {
    slot_of_.emplace(name, slots_.size());
    slots_.push_back(
        Slot{.name = std::move(name), .running = true, .operation = {}, .written = {}});
  }
  informer_.addHandlers(
      kube::EventHandlers{.on_add = {},
                          .on_update = [this](const kube::Object& /*old_object*/,
                                              const kube::Object& object) { onObject(object); },
                          .on_delete = {}});
}

RequestDriver::~RequestDriver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  submitters_.clear();
  informer_.stop();
}

bool RequestDriver::start(std::chrono::milliseconds sync_timeout) {
  informer_.start();
  if (!informer_.waitForSync(sync_timeout)) {
    return false;
  }
  for (std::size_t i = 0; i < submitter_count_; ++i) {
    submitters_.emplace_back([this] { submitLoop(); });
  }
  return true;
}

util::Result<DriverRun> RequestDriver::run(int count, std::size_t in_flight,
                                           std::chrono::milliseconds stall_timeout) {
  std::unique_lock lock(mu_);
  UNIVIRT_CHECK(in_flight == 1 || in_flight == slots_.size(),
                "the next request of a slot goes to a slot that is not in flight");
  in_flight_ = in_flight;
  latencies_us_.clear();
  failures_.clear();
  conflicts_ = 0;
  completed_ = 0;
  const int first = std::min(count, static_cast<int>(in_flight));
  to_submit_ = count - first;
  const auto began = Clock::now();
  for (int i = 0; i < first; ++i) {
    ready_.push_back(static_cast<std::size_t>(i));
  }
  changed_.notify_all();
  while (completed_ < count && failures_.empty()) {
    const int before = completed_;
    if (!changed_.wait_for(lock, stall_timeout,
                           [&] { return completed_ != before || !failures_.empty(); })) {
      return util::Error{util::ErrorCode::Timeout,
                         fmt::format("no outcome for {} ms: {} of {} requests done",
                                     stall_timeout.count(), completed_, count)};
    }
  }
  if (!failures_.empty()) {
    return util::Error{util::ErrorCode::Internal, fmt::format("{} request(s) failed, the first: {}",
                                                              failures_.size(), failures_.front())};
  }
  return DriverRun{.latencies_us = latencies_us_,
                   .wall_seconds = std::chrono::duration<double>(Clock::now() - began).count(),
                   .conflicts = conflicts_};
}

void RequestDriver::onObject(const kube::Object& object) {
  if (kube::namespaceOf(object) != namespace_name_) {
    return;
  }
  const auto now = Clock::now();
  // The outcome: the request is gone from spec, the marker is gone, lastOperation finished.
  if (!member(member(object, "spec"), "lifecycle").is_null() ||
      member(member(object, "metadata"), "annotations")
          .contains(std::string(lifecycle::kOperationAnnotation))) {
    return;
  }
  const auto& last = member(member(object, "status"), "lastOperation");
  const std::string operation =
      member(last, "name").is_string() ? last["name"].get<std::string>() : std::string();
  const std::string phase =
      member(last, "phase").is_string() ? last["phase"].get<std::string>() : std::string();
  const std::string name = kube::nameOf(object);
  const auto found = slot_of_.find(name);
  if (found == slot_of_.end()) {
    return;
  }
  std::lock_guard lock(mu_);
  Slot* slot = &slots_[found->second];
  if (slot->operation.empty() || slot->operation != operation || phase.empty() ||
      phase == "Running") {
    return;
  }
  if (phase != "Succeeded") {
    const auto& waiting = member(
        member(member(member(member(object, "spec"), "status"), "conditions"), "state"), "waiting");
    failures_.push_back(fmt::format("{} on '{}' ended {}: {}", operation, name, phase,
                                    member(waiting, "message").dump()));
    slot->operation.clear();
    changed_.notify_all();
    return;
  }
  latencies_us_.push_back(std::chrono::duration<double, std::micro>(now - slot->written).count());
  slot->running = !slot->running;
  slot->operation.clear();
  ++completed_;
  if (to_submit_ > 0) {
    --to_submit_;
    ready_.push_back((found->second + in_flight_) % slots_.size());
  }
  changed_.notify_all();
}

void RequestDriver::submitLoop() {
  while (true) {
    std::size_t slot = 0;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) {
        return;
      }
      slot = ready_.front();
      ready_.pop_front();
    }
    if (auto submitted = submit(slot); !submitted) {
      std::lock_guard lock(mu_);
      failures_.push_back(submitted.error().message);
      changed_.notify_all();
    }
  }
}

util::Status RequestDriver::submit(std::size_t slot) {
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = slots_[slot].name;
  }
  const kube::ObjectKey key{namespace_name_, name};
  // The outcome was the last write to the object, and the informer's cache holds it.
  const kube::ObjectPtr cached = informer_.cache().get(key);
  if (cached == nullptr) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("VirtualMachine '{}' is not in the cache", name)};
  }
  kube::Object object = *cached;
  std::string operation;
  {
    std::lock_guard lock(mu_);
    operation = slots_[slot].running ? "suspendVM" : "resumeVM";
    slots_[slot].operation = operation;
    slots_[slot].written = Clock::now();
  }
  for (int attempt = 0; attempt < kSubmitAttempts; ++attempt) {
    object["spec"]["lifecycle"] = {{operation, nlohmann::json::object()}};
    auto updated = client_.update(resource_, object);
    if (updated.has_value()) {
      return util::ok();
    }
    if (updated.error().code != util::ErrorCode::Conflict) {
      return updated.error();
    }
    {
      std::lock_guard lock(mu_);
      ++conflicts_;
    }
    auto fresh = client_.get(resource_, key);
    if (!fresh.has_value()) {
      return fresh.error();
    }
    object = std::move(*fresh);
  }
  return util::Error{
      util::ErrorCode::Conflict,
      fmt::format("writing {} on '{}' conflicted {} times", operation, name, kSubmitAttempts)};
}

}  // namespace univirt::bench
