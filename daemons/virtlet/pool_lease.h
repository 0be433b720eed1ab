#pragma once

// PoolLease: which node acts for a pool directory several nodes share, chosen with a
// coordination.k8s.io/v1 Lease (upstream picked "the first Ready node" from a node list).
//
// The holder renews spec.renewTime every call (callers call about three times per lease
// duration). Another node takes the Lease over when it has seen the same resourceVersion for a
// whole leaseDurationSeconds by its own clock, as client-go's leader election does, so clock
// skew between nodes does not matter. Every write is conditional on the resourceVersion read,
// so two nodes never both win.

#include <chrono>
#include <string>

#include "core/kube/client.h"
#include "core/util/clock.h"

namespace univirt::virtlet {

class PoolLease {
 public:
  PoolLease(kube::Client& client, kube::ObjectKey key, std::string holder,
            std::chrono::seconds duration, util::Clock& clock);

  // One round: create, renew or take over. True when this holder holds the Lease afterwards.
  util::Result<bool> acquireOrRenew(std::stop_token stop = {});

  const kube::ObjectKey& key() const { return key_; }

 private:
  nlohmann::json spec(int transitions, const std::string& acquire_time) const;

  kube::Client& client_;
  const kube::ObjectKey key_;
  const std::string holder_;
  const std::chrono::seconds duration_;
  util::Clock& clock_;
  std::string observed_version_;
  util::Clock::TimePoint observed_at_{};
};

// "univirt-pool-<pool>" as a valid object name (lower case, other characters as '-').
std::string poolLeaseName(const std::string& pool);

}  // namespace univirt::virtlet
