// kube-lite's audit line: an audit.k8s.io/v1 Event with Kubernetes' verbs and objectRef.

#include <gtest/gtest.h>

#include "kube-lite/audit.h"

namespace univirt::kubelite {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(long long micros) {
  return system_clock::time_point(std::chrono::microseconds(micros));
}

// verb, group, resource, subresource, namespace, name, code (AuditRecord's order).
AuditRecord record(std::string verb, std::string group, std::string resource,
                   std::string subresource = "", std::string ns = "", std::string name = "",
                   int code = 200) {
  return AuditRecord{std::move(verb),
                     std::move(group),
                     std::move(resource),
                     std::move(subresource),
                     std::move(ns),
                     std::move(name),
                     code};
}

AuditRequest request(std::string method, std::string uri) {
  return AuditRequest{.username = "admin",
                      .groups = {"system:masters"},
                      .method = std::move(method),
                      .uri = std::move(uri),
                      .user_agent = "univirt-virtlet/v0.1.0 (linux/amd64)",
                      .source_ip = "127.0.0.1",
                      .received = at(1'795'795'200'000'001)};
}

TEST(AuditEvent, HasTheAuditK8sIoV1FieldsOfAResourceRequest) {
  auto event = auditEvent(request("PATCH", "/api/v1/nodes/node1/status?fieldManager=x"),
                          record("patch", "", "nodes", "status", "", "node1"), "id-1",
                          at(1'795'795'200'250'000));
  EXPECT_EQ(event["kind"], "Event");
  EXPECT_EQ(event["apiVersion"], "audit.k8s.io/v1");
  EXPECT_EQ(event["level"], "Metadata");
  EXPECT_EQ(event["stage"], "ResponseComplete");
  EXPECT_EQ(event["auditID"], "id-1");
  EXPECT_EQ(event["verb"], "patch");
  EXPECT_EQ(event["requestURI"], "/api/v1/nodes/node1/status?fieldManager=x");
  EXPECT_EQ(event["userAgent"], "univirt-virtlet/v0.1.0 (linux/amd64)");
  EXPECT_EQ(event["user"], (nlohmann::json{{"username", "admin"}, {"groups", {"system:masters"}}}));
  EXPECT_EQ(event["sourceIPs"], nlohmann::json::array({"127.0.0.1"}));
  EXPECT_EQ(event["objectRef"], (nlohmann::json{{"resource", "nodes"},
                                                {"apiVersion", "v1"},
                                                {"name", "node1"},
                                                {"subresource", "status"}}));
  EXPECT_EQ(event["responseStatus"]["code"], 200);
  EXPECT_EQ(event["requestReceivedTimestamp"], "2026-11-27T16:00:00.000001Z");
  EXPECT_EQ(event["stageTimestamp"], "2026-11-27T16:00:00.250000Z");
}

TEST(AuditEvent, NamesTheGroupAndVersionOfANamedGroup) {
  auto event = auditEvent(request("POST", "/apis/events.k8s.io/v1/namespaces/default/events"),
                          record("create", "events.k8s.io", "events", "", "default", "", 201),
                          "id-2", at(0));
  EXPECT_EQ(event["verb"], "create");
  EXPECT_EQ(event["objectRef"], (nlohmann::json{{"resource", "events"},
                                                {"apiVersion", "v1"},
                                                {"apiGroup", "events.k8s.io"},
                                                {"namespace", "default"}}));
}

TEST(AuditVerb, IsKubernetesVerbForResourcesAndTheMethodElsewhere) {
  EXPECT_EQ(auditVerb(request("GET", "/apis/doslab.io/v1/virtualmachines?watch=1"),
                      record("watch", "doslab.io", "virtualmachines")),
            "watch");
  // Refused before a handler named the verb: derived from the method and the name.
  EXPECT_EQ(auditVerb(request("GET", "/x"), record("GET", "", "leases", "", "ns", "n1")), "get");
  EXPECT_EQ(auditVerb(request("DELETE", "/x"), record("DELETE", "", "leases", "", "ns")),
            "deletecollection");
  EXPECT_EQ(auditVerb(request("PUT", "/x"), record("PUT", "", "leases", "", "ns", "n1")), "update");
  // Non-resource paths (discovery, /version, the fault switch): the lower-case method.
  EXPECT_EQ(auditVerb(request("GET", "/version"), record("get", "", "")), "get");
  auto event =
      auditEvent(request("POST", "/kube-lite/faults"), record("faults", "", ""), "id-3", at(0));
  EXPECT_EQ(event["verb"], "post");
  EXPECT_FALSE(event.contains("objectRef"));
}

TEST(AuditEvent, AnUnauthenticatedRequestHasNoUser) {
  AuditRequest anonymous = request("GET", "/api/v1/nodes");
  anonymous.username.clear();
  anonymous.groups.clear();
  auto event = auditEvent(anonymous, record("", "", "", "", "", "", 401), "id-4", at(0));
  EXPECT_EQ(event["user"], nlohmann::json::object());
  EXPECT_EQ(event["responseStatus"]["code"], 401);
}

TEST(WatchRecordFromUri, NamesWhatTheWatchPathNames) {
  AuditRecord namespaced =
      watchRecordFromUri("/apis/doslab.io/v1/namespaces/ns1/virtualmachines?watch=true");
  EXPECT_EQ(namespaced.verb, "watch");
  EXPECT_EQ(namespaced.group, "doslab.io");
  EXPECT_EQ(namespaced.resource, "virtualmachines");
  EXPECT_EQ(namespaced.ns, "ns1");
  EXPECT_EQ(namespaced.code, 200);
  AuditRecord all = watchRecordFromUri("/api/v1/nodes?watch=1&fieldSelector=metadata.name%3Dn1");
  EXPECT_EQ(all.group, "");
  EXPECT_EQ(all.resource, "nodes");
  EXPECT_EQ(all.ns, "");
  // A namespace's own status is the namespaces resource, not a namespace of it.
  AuditRecord status = watchRecordFromUri("/api/v1/namespaces/ns1/status");
  EXPECT_EQ(status.resource, "namespaces");
  EXPECT_EQ(status.name, "ns1");
  EXPECT_EQ(status.subresource, "status");
  EXPECT_EQ(watchRecordFromUri("/version").resource, "");
}

TEST(AuditEvent, CarriesTheStageItIsWrittenAt) {
  auto event =
      auditEvent(request("GET", "/api/v1/nodes?watch=1"),
                 watchRecordFromUri("/api/v1/nodes?watch=1"), "id-5", at(0), "ResponseStarted");
  EXPECT_EQ(event["stage"], "ResponseStarted");
  EXPECT_EQ(event["verb"], "watch");
  EXPECT_EQ(event["objectRef"]["resource"], "nodes");
}

TEST(FormatMicroTime, KeepsMicrosecondsBeforeTheEpochToo) {
  EXPECT_EQ(formatMicroTime(at(1'500'000)), "1970-01-01T00:00:01.500000Z");
  EXPECT_EQ(formatMicroTime(at(-1)), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace univirt::kubelite
