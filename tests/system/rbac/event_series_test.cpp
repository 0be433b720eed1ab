// Paths of the daemons' code that make an API request no other test makes, run in-process
// with the daemon's identity (the harness's daemon client), so that kube-lite's audit log
// counts the request as the daemon's and the ClusterRole check (clusterrole_audit_test.py)
// sees it. Each test asserts the behaviour; the request is the by-product.

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "integration/libvirtwatcher/watcher_harness.h"

namespace univirt::libvirtwatcher::testing {
namespace {

constexpr const char* kUri = "test:///default";

// The core/v1 Events about `name` whose message contains `note`.
std::vector<kube::Object> eventsWith(WatcherHarness& harness, const std::string& name,
                                     const std::string& note) {
  std::vector<kube::Object> found;
  for (auto& event : harness.eventsFor(name)) {
    if (event.value("message", "").find(note) != std::string::npos) {
      found.push_back(std::move(event));
    }
  }
  return found;
}

// An Event libvirtwatcher repeats about the same object (here the "Doing" note of an HA restart,
// which carries no duration) is one Event whose count grows (a merge patch of the Event, as
// client-go's recorder does), not one Event per occurrence.
TEST(LibvirtwatcherEventSeries, ARepeatedEventIsOneEventWithAGrowingCount) {
  WatcherHarness harness(kUri, kUri, WatcherHarness::defaultOptions());
  ASSERT_TRUE(harness.start());
  const std::string name = fmt::format("rbac-series-{}", ::getpid());
  const std::string xml = fmt::format(
      "<domain type='test'><name>{}</name><memory unit='KiB'>8192</memory><vcpu>1</vcpu>"
      "<os><type>hvm</type></os></domain>",
      name);
  harness.cleanUpDomain(name);
  auto domain = harness.observer().defineDomain(xml);
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  ASSERT_TRUE(domain->start().has_value());
  harness.createVm(name, kNode, {{"metadata", {{"labels", {{"ha", ""}}}}}});
  const auto running = [&](const kube::Object& vm) {
    return WatcherHarness::powerstate(vm) == "Running";
  };
  ASSERT_EQ(WatcherHarness::powerstate(harness.waitVm(name, running)), "Running");

  const std::string doing = "operation:startVMbyHA, status:Doing(Success)";
  for (int restarts = 1; restarts <= 2; ++restarts) {
    ASSERT_TRUE(domain->destroy().has_value());
    ASSERT_TRUE(eventually([&] { return harness.watcher().stats().ha_restarts == restarts; }))
        << "HA restart " << restarts;
    ASSERT_TRUE(eventually([&] { return domain->isActive().value_or(false); }));
  }
  ASSERT_TRUE(eventually([&] {
    const auto found = eventsWith(harness, name, doing);
    return found.size() == 1 && found.front().value("count", 0) == 2;
  })) << fmt::format("{} Events with '{}'", eventsWith(harness, name, doing).size(), doing);
}

}  // namespace
}  // namespace univirt::libvirtwatcher::testing
