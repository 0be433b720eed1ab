#include "kube-lite/audit.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "core/util/clock.h"

namespace univirt::kubelite {

namespace {

using nlohmann::json;

bool isResourceVerb(const std::string& verb) {
  static const char* const kVerbs[] = {"get",    "list",  "watch",  "create",
                                       "update", "patch", "delete", "deletecollection"};
  return std::any_of(std::begin(kVerbs), std::end(kVerbs),
                     [&verb](const char* known) { return verb == known; });
}

std::string lowerCase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::vector<std::string> pathSegments(const std::string& uri) {
  std::string path = uri.substr(0, uri.find('?'));
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// "v1" for /api/v1/..., "<version>" for /apis/<group>/<version>/...; empty otherwise.
std::string apiVersionOf(const std::string& uri) {
  std::vector<std::string> parts = pathSegments(uri);
  if (parts.size() >= 2 && parts[0] == "api") {
    return parts[1];
  }
  if (parts.size() >= 3 && parts[0] == "apis") {
    return parts[2];
  }
  return "";
}

}  // namespace

AuditRecord watchRecordFromUri(const std::string& uri) {
  AuditRecord record;
  record.verb = "watch";
  record.code = 200;
  std::vector<std::string> parts = pathSegments(uri);
  size_t rest = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    rest = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    record.group = parts[1];
    rest = 3;
  } else {
    return record;
  }
  std::vector<std::string> tail(parts.begin() + static_cast<long>(rest), parts.end());
  if (tail.size() >= 3 && tail[0] == "namespaces" &&
      !(tail.size() == 3 && (tail[2] == "status" || tail[2] == "finalize"))) {
    record.ns = tail[1];
    tail.erase(tail.begin(), tail.begin() + 2);
  }
  record.resource = tail[0];
  if (tail.size() >= 2) {
    record.name = tail[1];
  }
  if (tail.size() >= 3) {
    record.subresource = tail[2];
  }
  return record;
}

std::string auditVerb(const AuditRequest& request, const AuditRecord& record) {
  if (record.resource.empty()) {
    return lowerCase(request.method);
  }
  if (isResourceVerb(record.verb)) {
    return record.verb;
  }
  // A request refused before its handler ran (a bad shape, a wrong method) still names what
  // it asked for, as kube-apiserver's RequestInfo does.
  if (request.method == "GET") {
    return record.name.empty() ? "list" : "get";
  }
  if (request.method == "POST") {
    return "create";
  }
  if (request.method == "PUT") {
    return "update";
  }
  if (request.method == "DELETE") {
    return record.name.empty() ? "deletecollection" : "delete";
  }
  return lowerCase(request.method);
}

std::string formatMicroTime(std::chrono::system_clock::time_point time) {
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(time);
  if (seconds > time) {
    seconds -= std::chrono::seconds(1);
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time - seconds).count();
  std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", buf, micros);
}

json auditEvent(const AuditRequest& request, const AuditRecord& record, const std::string& audit_id,
                std::chrono::system_clock::time_point now, const std::string& stage) {
  json user = json::object();
  if (!request.username.empty()) {
    user["username"] = request.username;
  }
  if (!request.groups.empty()) {
    user["groups"] = request.groups;
  }
  json event = {{"kind", "Event"},
                {"apiVersion", "audit.k8s.io/v1"},
                {"level", "Metadata"},
                {"auditID", audit_id},
                {"stage", stage},
                {"requestURI", request.uri},
                {"verb", auditVerb(request, record)},
                {"user", user},
                {"sourceIPs", json::array()},
                {"userAgent", request.user_agent},
                {"responseStatus", {{"metadata", json::object()}, {"code", record.code}}},
                {"requestReceivedTimestamp", formatMicroTime(request.received)},
                {"stageTimestamp", formatMicroTime(now)}};
  if (!request.source_ip.empty()) {
    event["sourceIPs"].push_back(request.source_ip);
  }
  if (!record.resource.empty()) {
    json ref = {{"resource", record.resource}, {"apiVersion", apiVersionOf(request.uri)}};
    // Omitted when empty, as kube-apiserver's omitempty fields are; "" is the core group.
    for (const auto& [key, value] :
         {std::pair{"apiGroup", &record.group}, std::pair{"namespace", &record.ns},
          std::pair{"name", &record.name}, std::pair{"subresource", &record.subresource}}) {
      if (!value->empty()) {
        ref[key] = *value;
      }
    }
    event["objectRef"] = std::move(ref);
  }
  return event;
}

util::Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  std::ofstream out(path, std::ios::app);
  if (!out) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("cannot open audit log '{}'", path)};
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(out)));
}

AuditLog::AuditLog(std::ofstream out) : out_(std::move(out)), random_(std::random_device{}()) {}

std::string AuditLog::newAuditId() {
  // A version 4 UUID, as kube-apiserver's auditIDs are.
  std::uint64_t high = random_();
  std::uint64_t low = random_();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

void AuditLog::record(const AuditRequest& request, const AuditRecord& record) {
  auto completed = util::Clock::real().wallNow();
  std::lock_guard lock(mu_);
  out_ << auditEvent(request, record, newAuditId(), completed).dump() << '\n';
  out_.flush();
}

void AuditLog::recordWatchStarted(const AuditRequest& request) {
  auto started = util::Clock::real().wallNow();
  AuditRecord record = watchRecordFromUri(request.uri);
  std::lock_guard lock(mu_);
  out_ << auditEvent(request, record, newAuditId(), started, "ResponseStarted").dump() << '\n';
  out_.flush();
}

}  // namespace univirt::kubelite
