#include "libvirtwatcher/vm_state.h"

#include <gtest/gtest.h>

#include "core/lifecycle/request_marker.h"

namespace univirt::libvirtwatcher {
namespace {

constexpr const char* kNode = "node-a";

kube::Object vm(const std::string& host = kNode) {
  return {{"apiVersion", "doslab.io/v1"},
          {"kind", "VirtualMachine"},
          {"metadata", {{"name", "vm1"}, {"namespace", "default"}, {"labels", {{"host", host}}}}},
          {"spec", {{"nodeName", host}, {"image", "centos"}}}};
}

lifecycle::Refreshed refreshed(const std::string& reason, lifecycle::Phase phase) {
  lifecycle::Refreshed result;
  result.spec_fields = {{"domain", {{"_type", "qemu"}, {"name", {{"text", "vm1"}}}}},
                        {"nodeName", kNode},
                        {"powerstate", reason}};
  result.reason = reason;
  result.message = "The VM is " + reason;
  result.phase = phase;
  result.status_fields = {{"nodeName", kNode}};
  return result;
}

const WriteTime kTime{.rfc3339 = "2026-11-27T10:00:00Z", .epoch_ms = 1'700'000'000'000};
const WriteTime kLater{.rfc3339 = "2026-11-27T10:05:00Z", .epoch_ms = 1'700'000'300'000};

const nlohmann::json& condition(const kube::Object& object, const std::string& type) {
  for (const auto& entry : object["status"]["conditions"]) {
    if (entry["type"] == type) {
      return entry;
    }
  }
  static const nlohmann::json kNone;
  ADD_FAILURE() << "no condition " << type;
  return kNone;
}

TEST(ApplyRefreshed, WritesUpstreamPlacesAndStatusAndKeepsOtherSpecKeys) {
  kube::Object object = vm();
  ASSERT_EQ(applyRefreshed(object, refreshed("Running", lifecycle::Phase::Running), kTime),
            kube::Mutation::Changed);
  const auto& spec = object["spec"];
  EXPECT_EQ(spec["domain"]["_type"], "qemu");
  EXPECT_EQ(spec["powerstate"], "Running");
  EXPECT_EQ(spec["nodeName"], kNode);
  EXPECT_EQ(spec["image"], "centos");  // merged into .spec, not replacing it (§4.1)
  EXPECT_EQ(spec["status"]["conditions"]["state"]["waiting"]["reason"], "Running");
  EXPECT_EQ(spec["status"]["conditions"]["state"]["waiting"]["message"], "The VM is Running");
  EXPECT_EQ(spec["description"]["lastOperationTimeStamp"], kTime.epoch_ms);
  EXPECT_EQ(object["status"]["phase"], "Running");
  EXPECT_EQ(condition(object, "Ready")["status"], "True");
  EXPECT_EQ(condition(object, "Paused")["status"], "False");
}

TEST(ApplyRefreshed, SameStateAgainIsUnchangedAndNotStamped) {
  kube::Object object = vm();
  applyRefreshed(object, refreshed("Running", lifecycle::Phase::Running), kTime);
  const kube::Object written = object;
  EXPECT_EQ(applyRefreshed(object, refreshed("Running", lifecycle::Phase::Running), kLater),
            kube::Mutation::Unchanged);
  EXPECT_EQ(object, written);
}

TEST(ApplyRefreshed, PausedThenShutdownMoveTheConditions) {
  kube::Object object = vm();
  applyRefreshed(object, refreshed("Running", lifecycle::Phase::Running), kTime);
  ASSERT_EQ(applyRefreshed(object, refreshed("Paused", lifecycle::Phase::Paused), kLater),
            kube::Mutation::Changed);
  EXPECT_EQ(object["spec"]["powerstate"], "Paused");
  EXPECT_EQ(condition(object, "Paused")["status"], "True");
  EXPECT_EQ(condition(object, "Paused")["lastTransitionTime"], kLater.rfc3339);
  EXPECT_EQ(condition(object, "Ready")["status"], "False");
  applyRefreshed(object, refreshed("Shutdown", lifecycle::Phase::Succeeded), kLater);
  EXPECT_EQ(object["status"]["phase"], "Succeeded");
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["message"],
            "The VM is Shutdown");
}

TEST(ApplyRefreshed, KeepsAPendingLifecycleRequestForVirtctl) {
  kube::Object object = vm();
  object["spec"]["lifecycle"] = {{"startVM", nlohmann::json::object()}};
  applyRefreshed(object, refreshed("Shutdown", lifecycle::Phase::Succeeded), kTime);
  EXPECT_TRUE(object["spec"].contains("lifecycle"));
}

TEST(ApplyFailure, WritesVirtletErrorOnce) {
  kube::Object object = vm();
  ASSERT_EQ(applyFailure(object, "cannot convert", kTime), kube::Mutation::Changed);
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "VirtletError");
  EXPECT_EQ(applyFailure(object, "cannot convert", kLater), kube::Mutation::Unchanged);
}

TEST(SkipFor, ObjectsOfOtherHostsAreSkipped) {
  EXPECT_EQ(skipFor(vm("node-b"), kNode, false), Skip::OtherHost);
  kube::Object unlabelled = vm();
  unlabelled["metadata"].erase("labels");
  EXPECT_EQ(skipFor(unlabelled, kNode, false), Skip::OtherHost);
  EXPECT_EQ(skipFor(vm(), kNode, false), Skip::No);
}

TEST(SkipFor, MigrationsAreSkipped) {
  EXPECT_EQ(skipFor(vm(), kNode, true), Skip::Migrating);
  kube::Object pending = vm();
  pending["spec"]["lifecycle"] = {{"migrateVM", {{"ip", "10.0.0.2"}}}};
  EXPECT_EQ(skipFor(pending, kNode, false), Skip::Migrating);
  kube::Object running = vm();
  running["metadata"]["annotations"][std::string(lifecycle::kOperationAnnotation)] =
      lifecycle::encodeMarker({.operation = "migrateVM",
                               .id = "1",
                               .taken_at = "2026-11-27T10:00:00Z",
                               .node = kNode,
                               .request = nlohmann::json::object()});
  EXPECT_EQ(skipFor(running, kNode, false), Skip::Migrating);
}

TEST(StopRequested, StopDeleteSaveMigrateRequestsMakeAStopExpected) {
  EXPECT_FALSE(stopRequested(vm()));
  for (const char* operation : {"stopVM", "stopVMForce", "deleteVM", "saveVM", "migrateVM"}) {
    kube::Object pending = vm();
    pending["spec"]["lifecycle"] = {{operation, nlohmann::json::object()}};
    EXPECT_TRUE(stopRequested(pending)) << operation;
    kube::Object last = vm();
    last["status"]["lastOperation"] = {{"name", operation}, {"phase", "Succeeded"}};
    EXPECT_TRUE(stopRequested(last)) << operation;
  }
  kube::Object started = vm();
  started["status"]["lastOperation"] = {{"name", "startVM"}, {"phase", "Succeeded"}};
  EXPECT_FALSE(stopRequested(started));
}

TEST(HasHaLabel, PresenceNotValueCounts) {
  EXPECT_FALSE(hasHaLabel(vm()));
  kube::Object labelled = vm();
  labelled["metadata"]["labels"]["ha"] = "";
  EXPECT_TRUE(hasHaLabel(labelled));
}

}  // namespace
}  // namespace univirt::libvirtwatcher
