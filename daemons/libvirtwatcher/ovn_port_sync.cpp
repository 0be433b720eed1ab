#include "libvirtwatcher/ovn_port_sync.h"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/util/log.h"
#include "libvirtwatcher/vm_state.h"
#include "ovnctl/vm_ports.h"

namespace univirt::libvirtwatcher {

namespace {

struct DomainBindings {
  ovnctl::VmNetwork network;
  std::vector<ovnctl::RecordedBinding> recorded;
};

// The northbound connection and what it records for `domain`: where a start and a stop begin.
util::Result<DomainBindings> domainBindings(const std::string& northbound,
                                            const std::string& ovs_db, const std::string& domain) {
  auto network = ovnctl::VmNetwork::open(northbound, ovs_db);
  if (!network) {
    return network.error();
  }
  auto recorded = network->bindings(domain);
  if (!recorded) {
    return recorded.error();
  }
  return DomainBindings{.network = std::move(*network), .recorded = std::move(*recorded)};
}

}  // namespace

util::Result<int> OvnPortSync::started(const kube::Object& vm, const std::string& domain) {
  if (!enabled()) {
    return 0;
  }
  auto found = domainBindings(northbound_, ovs_db_, domain);
  if (!found) {
    return failed(vm, domain, found.error());
  }
  auto& [network, recorded] = *found;
  int bound = 0;
  for (const ovnctl::RecordedBinding& binding : recorded) {
    if (binding.switch_name.empty()) {
      continue;  // a port no switch holds (being removed): nothing to bind it to
    }
    auto result = network.bind({.domain = domain,
                                .type = "l3bridge",
                                .switch_name = binding.switch_name,
                                .ip = binding.ip,
                                .mac = binding.mac});
    if (!result) {
      return failed(
          vm, domain,
          result.error().withContext(fmt::format("binding NIC '{}' to logical switch '{}'",
                                                 binding.mac, binding.switch_name)));
    }
    ++bound;
    bound_++;
    if (result->changed) {
      log::info("vm nic bound", {{"domain", domain},
                                 {"mac", binding.mac},
                                 {"port", result->port},
                                 {"switch", binding.switch_name}});
    }
  }
  return bound;
}

util::Result<int> OvnPortSync::stopped(const kube::Object& vm, const std::string& domain) {
  if (!enabled()) {
    return 0;
  }
  auto found = domainBindings(northbound_, ovs_db_, domain);
  if (!found) {
    return failed(vm, domain, found.error());
  }
  auto& [network, recorded] = *found;
  int removed = 0;
  for (const ovnctl::RecordedBinding& binding : recorded) {
    if (!binding.attached) {
      continue;
    }
    auto result = network.unbind(binding.mac, "l3bridge", ovnctl::UnbindMode::KeepRecord);
    if (!result) {
      return failed(
          vm, domain,
          result.error().withContext(fmt::format("detaching NIC '{}' from logical switch '{}'",
                                                 binding.mac, binding.switch_name)));
    }
    removed += *result;
    detached_ += *result;
    log::info("vm nic detached",
              {{"domain", domain}, {"mac", binding.mac}, {"switch", binding.switch_name}});
  }
  return removed;
}

OvnSyncStats OvnPortSync::stats() const {
  return {.bound = bound_.load(), .detached = detached_.load(), .failures = failures_.load()};
}

util::Error OvnPortSync::failed(const kube::Object& vm, const std::string& domain,
                                util::Error error) {
  failures_++;
  const std::string message =
      fmt::format("the OVN ports of domain '{}' were not updated: {}", domain, error.message);
  log::warn("ovn port sync failed", {{"domain", domain}, {"err", error.message}});
  auto recorded = recorder_.record(vm, kube::EventType::Warning, kReasonWatcherError, message);
  if (!recorded) {
    log::warn("event not recorded", {{"name", domain}, {"err", recorded.error().message}});
  }
  return error;
}

}  // namespace univirt::libvirtwatcher
