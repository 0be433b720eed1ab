#include "core/lifecycle/object_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::lifecycle {
namespace {

using ::testing::HasSubstr;

nlohmann::json requestObject() {
  return nlohmann::json::parse(R"({
    "apiVersion": "doslab.io/v1", "kind": "VirtualMachine",
    "metadata": {"name": "vm1", "namespace": "default", "labels": {"host": "n1", "eventId": "42"},
                 "resourceVersion": "7"},
    "spec": {"nodeName": "n1", "image": "img", "lifecycle": {"startVM": {}}}})");
}

RequestMarker marker() {
  return RequestMarker{.operation = "startVM",
                       .id = "id-1",
                       .taken_at = "2026-11-27T08:00:00Z",
                       .node = "n1",
                       .request = nlohmann::json::object()};
}

const Timing kTiming{.started_at = "2026-11-27T08:00:00Z",
                     .finished_at = "2026-11-27T08:00:02Z",
                     .finished_epoch_ms = 1795766402000};

TEST(ObjectStatus, TakeRemovesTheRequestAndMarksItRunning) {
  nlohmann::json object = requestObject();
  markTaken(object, marker());
  EXPECT_FALSE(object["spec"].contains("lifecycle"));
  const auto decoded = markerOf(object);
  ASSERT_TRUE(decoded.has_value() && decoded->has_value());
  EXPECT_EQ((*decoded)->id, "id-1");
  EXPECT_EQ((*decoded)->operation, "startVM");
  EXPECT_EQ(object["status"]["lastOperation"]["phase"], "Running");
  EXPECT_EQ(object["status"]["lastOperation"]["startedAt"], "2026-11-27T08:00:00Z");
}

TEST(ObjectStatus, SuccessWritesUpstreamPlacesAndStatusAndKeepsUserFields) {
  nlohmann::json object = requestObject();
  markTaken(object, marker());
  Refreshed refreshed;
  refreshed.spec_fields = {{"powerstate", "Running"}, {"domain", {{"_type", "qemu"}}}};
  refreshed.reason = "Running";
  refreshed.message = "The VM is Running";
  refreshed.phase = Phase::Running;
  refreshed.status_fields = {{"nodeName", "n1"}};
  recordSuccess(object, marker(), refreshed, Outcome{.message = "takes effect at the next boot"},
                kTiming);

  EXPECT_FALSE(markerOf(object).has_value());
  EXPECT_FALSE(object["metadata"].contains("annotations"));
  EXPECT_EQ(object["spec"]["image"], "img");
  EXPECT_EQ(object["spec"]["powerstate"], "Running");
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Running");
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["message"],
            "The VM is Running");
  EXPECT_EQ(object["spec"]["description"]["lastOperationTimeStamp"], 1795766402000);
  EXPECT_EQ(object["status"]["phase"], "Running");
  EXPECT_EQ(object["status"]["nodeName"], "n1");
  const auto& last = object["status"]["lastOperation"];
  EXPECT_EQ(last["phase"], "Succeeded");
  EXPECT_EQ(last["message"], "takes effect at the next boot");
  EXPECT_EQ(last["finishedAt"], "2026-11-27T08:00:02Z");
  bool ready = false;
  for (const auto& condition : object["status"]["conditions"]) {
    if (condition["type"] == "Ready") {
      ready = condition["status"] == "True";
    }
  }
  EXPECT_TRUE(ready);
}

TEST(ObjectStatus, ConditionTransitionTimeChangesOnlyWithTheStatus) {
  nlohmann::json object = requestObject();
  Refreshed running;
  running.reason = "Running";
  recordSuccess(object, marker(), running, Outcome{}, kTiming);
  Timing later = kTiming;
  later.finished_at = "2026-11-27T09:00:00Z";
  recordSuccess(object, marker(), running, Outcome{}, later);
  auto ready_time = [&] {
    for (const auto& condition : object["status"]["conditions"]) {
      if (condition["type"] == "Ready") {
        return condition["lastTransitionTime"].get<std::string>();
      }
    }
    return std::string();
  };
  EXPECT_EQ(ready_time(), "2026-11-27T08:00:02Z");
  Refreshed stopped;
  stopped.reason = "Shutdown";
  recordSuccess(object, marker(), stopped, Outcome{}, later);
  EXPECT_EQ(ready_time(), "2026-11-27T09:00:00Z");
}

TEST(ObjectStatus, FailureKeepsPowerStateAndANewerRequest) {
  nlohmann::json object = requestObject();
  object["spec"]["powerstate"] = "Shutdown";
  markTaken(object, marker());
  object["spec"]["lifecycle"] = {{"stopVM", nlohmann::json::object()}};  // submitted meanwhile
  recordFailure(object, marker(), "LibvirtError", "libvirt error from 'domain': boom", kTiming);
  EXPECT_EQ(object["spec"]["powerstate"], "Shutdown");
  EXPECT_TRUE(object["spec"].contains("lifecycle"));
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "LibvirtError");
  EXPECT_EQ(object["status"]["lastOperation"]["phase"], "Failed");
  EXPECT_FALSE(markerOf(object).has_value());
}

TEST(ObjectStatus, ClearMarkerLeavesSomebodyElsesMarker) {
  nlohmann::json object = requestObject();
  markTaken(object, marker());
  clearMarker(object, "another-id");
  EXPECT_TRUE(markerOf(object).has_value());
  clearMarker(object, "id-1");
  EXPECT_FALSE(markerOf(object).has_value());
}

TEST(ObjectStatus, FailureReasonIsLibvirtErrorOnlyForLibvirtMessages) {
  EXPECT_EQ(failureReason("starting domain 'a': libvirt error from 'domain': no domain"),
            "LibvirtError");
  EXPECT_EQ(failureReason("spec.lifecycle.startVM.x: unknown parameter"), "Exception");
}

TEST(ObjectStatus, EventNoteHasTheUpstreamFormat) {
  EXPECT_EQ(eventNote(requestObject(), "startVM", "Done", 1.5),
            "type:VirtualMachine, name:vm1, operation:startVM, status:Done, reporter:Virtctl, "
            "eventId:42, duration:1.5");
  nlohmann::json no_event_id = requestObject();
  no_event_id["metadata"]["labels"].erase("eventId");
  EXPECT_THAT(eventNote(no_event_id, "startVM", "Doing", 0), HasSubstr("eventId:-1"));
}

TEST(RequestMarker, RoundTripsAndRejectsGarbage) {
  const RequestMarker original = marker();
  auto decoded = decodeMarker(encodeMarker(original));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->id, original.id);
  EXPECT_EQ(decoded->node, "n1");
  EXPECT_FALSE(decodeMarker("not json").has_value());
  EXPECT_FALSE(decodeMarker(R"({"operation": 3})").has_value());
}

TEST(RequestMarker, NewIdsAreVersion4UuidsAndDistinct) {
  const std::string a = newRequestId();
  const std::string b = newRequestId();
  EXPECT_NE(a, b);
  EXPECT_THAT(a, ::testing::MatchesRegex(
                     "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

}  // namespace
}  // namespace univirt::lifecycle
