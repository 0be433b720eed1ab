#pragma once

// AuditLog: one JSON line per API request, an audit.k8s.io/v1 Event at level Metadata and stage
// ResponseComplete, plus one at stage ResponseStarted when a watch starts streaming (so a watch
// is on record even when the server is killed while it is open). The field names are those of
// kube-apiserver's log backend (auditID, requestURI, verb, user, sourceIPs, userAgent,
// objectRef, responseStatus, requestReceivedTimestamp, stageTimestamp), so tests and operators
// read it with the same tools as a real cluster's audit log. tests/system/rbac derives the
// ClusterRole check from it.

#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "kube-lite/api_server.h"

namespace univirt::kubelite {

// What the HTTP front end knows about a request (ApiServer's AuditRecord has the rest).
struct AuditRequest {
  std::string username;  // empty when the request was not authenticated
  std::vector<std::string> groups;
  std::string method;  // GET, POST, ...
  std::string uri;     // path and query as received
  std::string user_agent;
  std::string source_ip;
  std::chrono::system_clock::time_point received;
};

// The Kubernetes audit verb: for resource requests one of get, list, watch, create, update,
// patch, delete, deletecollection; for other paths the lower-case HTTP method.
std::string auditVerb(const AuditRequest& request, const AuditRecord& record);

// The audit.k8s.io/v1 Event for one request at `stage` (ResponseStarted or ResponseComplete).
nlohmann::json auditEvent(const AuditRequest& request, const AuditRecord& record,
                          const std::string& audit_id, std::chrono::system_clock::time_point now,
                          const std::string& stage = "ResponseComplete");

// What a watch request's URI names (group, resource, namespace, name, subresource; verb
// "watch", code 200), for its ResponseStarted Event, which is written before ApiServer returns
// its AuditRecord. Same path rules as ApiServer's routing.
AuditRecord watchRecordFromUri(const std::string& uri);

// RFC 3339 with microseconds, as metav1.MicroTime: "2026-11-27T16:20:01.123456Z".
std::string formatMicroTime(std::chrono::system_clock::time_point time);

class AuditLog {
 public:
  static util::Result<std::unique_ptr<AuditLog>> open(const std::string& path);

  void record(const AuditRequest& request, const AuditRecord& record);
  // The ResponseStarted Event of a watch that starts streaming now.
  void recordWatchStarted(const AuditRequest& request);

 private:
  explicit AuditLog(std::ofstream out);
  std::string newAuditId();  // called with mu_ held

  std::mutex mu_;
  std::ofstream out_;       // guarded by mu_
  std::mt19937_64 random_;  // guarded by mu_
};

}  // namespace univirt::kubelite
