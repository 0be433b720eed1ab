#include "virtlet/pool_lease.h"

#include <cctype>

#include "virtlet/kinds.h"

namespace univirt::virtlet {

using util::ErrorCode;

PoolLease::PoolLease(kube::Client& client, kube::ObjectKey key, std::string holder,
                     std::chrono::seconds duration, util::Clock& clock)
    : client_(client),
      key_(std::move(key)),
      holder_(std::move(holder)),
      duration_(duration),
      clock_(clock) {}

nlohmann::json PoolLease::spec(int transitions, const std::string& acquire_time) const {
  return {{"holderIdentity", holder_},
          {"leaseDurationSeconds", duration_.count()},
          {"acquireTime", acquire_time},
          {"renewTime", kube::formatMicroTimestamp(clock_.wallNow())},
          {"leaseTransitions", transitions}};
}

util::Result<bool> PoolLease::acquireOrRenew(std::stop_token stop) {
  const std::string now_text = kube::formatMicroTimestamp(clock_.wallNow());
  auto lease = client_.get(kLeases, key_, stop);
  if (!lease && lease.error().code == ErrorCode::NotFound) {
    nlohmann::json object = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", key_.name}, {"namespace", key_.namespace_name}}},
        {"spec", spec(0, now_text)}};
    auto created = client_.create(kLeases, object, stop);
    if (created) {
      return true;
    }
    if (created.error().code == ErrorCode::AlreadyExists ||
        created.error().code == ErrorCode::Conflict) {
      return false;  // another node was faster
    }
    return created.error();
  }
  if (!lease) {
    return lease.error();
  }
  const nlohmann::json current = lease->value("spec", nlohmann::json::object());
  const std::string holder = current.value("holderIdentity", "");
  const int transitions = current.value("leaseTransitions", 0);
  const auto now = clock_.now();
  if (holder != holder_) {
    const std::string version = kube::resourceVersionOf(*lease);
    if (version != observed_version_) {
      observed_version_ = version;
      observed_at_ = now;
    }
    const auto duration = std::chrono::seconds(current.value("leaseDurationSeconds", 0));
    if (!holder.empty() && now < observed_at_ + duration) {
      return false;  // the holder renewed within its lease duration, as far as we have seen
    }
    (*lease)["spec"] = spec(transitions + 1, now_text);
  } else {
    (*lease)["spec"] = spec(transitions, current.value("acquireTime", now_text));
  }
  auto written = client_.update(kLeases, *lease, stop);
  if (written) {
    observed_version_ = kube::resourceVersionOf(*written);
    observed_at_ = now;
    return true;
  }
  if (written.error().code == ErrorCode::Conflict) {
    return false;
  }
  return written.error();
}

std::string poolLeaseName(const std::string& pool) {
  std::string name = "univirt-pool-";
  for (const unsigned char c : pool) {
    name += std::isalnum(c) != 0 ? static_cast<char>(std::tolower(c)) : '-';
  }
  while (name.ends_with('-')) {
    name.pop_back();
  }
  return name.substr(0, 253);
}

}  // namespace univirt::virtlet
