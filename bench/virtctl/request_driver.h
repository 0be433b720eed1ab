#pragma once

// RequestDriver: submits VirtualMachine lifecycle requests as a user would — an update that
// sets spec.lifecycle on the object as last seen — and times each from that write to the
// moment its outcome is visible through an informer on the same objects (lastOperation
// finished, marker annotation gone). Each request is the opposite of the object's power state
// (suspendVM on a running domain, resumeVM on a paused one), so every request changes state.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/kube/client.h"
#include "core/kube/informer/informer.h"
#include "core/util/result.h"

namespace univirt::bench {

struct DriverRun {
  std::vector<double> latencies_us;  // request write -> outcome seen, one per request
  double wall_seconds = 0;           // first write -> last outcome
  std::int64_t conflicts = 0;        // submits retried because the object had changed
};

class RequestDriver {
 public:
  // `names`: VirtualMachines in `namespace_name` whose domains run. `submitters` threads write
  // the requests (the users).
  RequestDriver(kube::Client& client, const kube::ResourceRef& resource,
                const std::string& namespace_name, std::vector<std::string> names,
                std::size_t submitters);
  ~RequestDriver();
  RequestDriver(const RequestDriver&) = delete;
  RequestDriver& operator=(const RequestDriver&) = delete;

  bool start(std::chrono::milliseconds sync_timeout);

  // Submits `count` requests with `in_flight` outstanding at once, each on a different object:
  // in_flight == 1 walks the objects one request at a time; in_flight == objects keeps every
  // object busy (its next request is written when the previous outcome is seen).
  // Fails when a request failed, a write failed, or nothing completed for `stall_timeout`.
  util::Result<DriverRun> run(int count, std::size_t in_flight,
                              std::chrono::milliseconds stall_timeout);

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::string name;
    bool running = true;    // the domain's state after the last outcome
    std::string operation;  // in flight; empty when none
    Clock::time_point written;
  };

  void onObject(const kube::Object& object);
  void submitLoop();
  util::Status submit(std::size_t slot);

  kube::Client& client_;
  const kube::ResourceRef resource_;
  const std::string namespace_name_;
  kube::Informer informer_;
  const std::size_t submitter_count_;
  std::unordered_map<std::string, std::size_t> slot_of_;  // name → index in slots_; fixed

  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;            // guarded by mu_
  std::deque<std::size_t> ready_;      // guarded by mu_: slots whose request is to be written
  std::size_t in_flight_ = 1;          // guarded by mu_
  int to_submit_ = 0;                  // guarded by mu_
  int completed_ = 0;                  // guarded by mu_
  std::int64_t conflicts_ = 0;         // guarded by mu_
  std::vector<double> latencies_us_;   // guarded by mu_
  std::vector<std::string> failures_;  // guarded by mu_
  bool stopping_ = false;              // guarded by mu_

  std::vector<std::jthread> submitters_;  // last: they use everything above
};

}  // namespace univirt::bench
