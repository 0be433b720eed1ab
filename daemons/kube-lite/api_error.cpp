#include "kube-lite/api_error.h"

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

json ApiError::toStatus() const {
  json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
  if (!details.empty()) {
    status["details"] = details;
  }
  return status;
}

namespace {

ApiError make(int code, std::string reason, std::string message, json details = json::object()) {
  return ApiError{code, std::move(reason), std::move(message), std::move(details), 0};
}

json nameDetails(const ResourceName& res, const std::string& name, const std::string& kind) {
  json details = {{"name", name}, {"kind", kind}};
  if (!res.group.empty()) {
    details["group"] = res.group;
  }
  return details;
}

}  // namespace

ApiError badRequest(std::string message) { return make(400, "BadRequest", std::move(message)); }

ApiError unauthorized() { return make(401, "Unauthorized", "Unauthorized"); }

ApiError pathNotFound() {
  return make(404, "NotFound", "the server could not find the requested resource");
}

ApiError notFound(const ResourceName& res, const std::string& name) {
  return make(404, "NotFound", fmt::format("{} \"{}\" not found", res.qualified(), name),
              nameDetails(res, name, res.plural));
}

ApiError alreadyExists(const ResourceName& res, const std::string& name) {
  return make(409, "AlreadyExists", fmt::format("{} \"{}\" already exists", res.qualified(), name),
              nameDetails(res, name, res.plural));
}

ApiError conflict(const ResourceName& res, const std::string& name) {
  return conflictMessage(res, name,
                         "the object has been modified; please apply your changes to the latest "
                         "version and try again");
}

ApiError conflictMessage(const ResourceName& res, const std::string& name, std::string message) {
  return make(
      409, "Conflict",
      fmt::format("Operation cannot be fulfilled on {} \"{}\": {}", res.qualified(), name, message),
      nameDetails(res, name, res.plural));
}

ApiError invalid(const ResourceName& res, const std::string& name,
                 const std::vector<Cause>& causes) {
  json details = nameDetails(res, name, res.kind);
  json jcauses = json::array();
  std::vector<std::string> texts;
  for (const auto& cause : causes) {
    jcauses.push_back(
        {{"reason", cause.reason}, {"message", cause.message}, {"field", cause.field}});
    texts.push_back(cause.field.empty() ? cause.message : cause.field + ": " + cause.message);
  }
  details["causes"] = jcauses;
  std::string joined;
  if (texts.size() == 1) {
    joined = texts[0];
  } else {
    joined = fmt::format("[{}]", fmt::join(texts, ", "));
  }
  return make(422, "Invalid",
              fmt::format("{} \"{}\" is invalid: {}", res.qualifiedKind(), name, joined),
              std::move(details));
}

ApiError methodNotAllowed() {
  return make(405, "MethodNotAllowed",
              "the server does not allow this method on the requested resource");
}

ApiError unsupportedMediaType() {
  return make(415, "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: "
              "application/json-patch+json, application/merge-patch+json, "
              "application/apply-patch+yaml");
}

ApiError expired(std::string message) { return make(410, "Expired", std::move(message)); }

ApiError tooManyRequests(int retry_after_seconds) {
  ApiError err = make(429, "TooManyRequests", "Too many requests, please try again later.",
                      {{"retryAfterSeconds", retry_after_seconds}});
  err.retry_after_seconds = retry_after_seconds;
  return err;
}

ApiError internalError(std::string message) {
  return make(500, "InternalError", "Internal error occurred: " + message,
              {{"causes", json::array({{{"message", message}}})}});
}

ApiError requestTooLarge(size_t limit) {
  return make(413, "RequestEntityTooLarge",
              fmt::format("Request entity too large: limit is {}", limit));
}

ApiError notAcceptable() {
  return make(406, "NotAcceptable",
              "only the following media types are accepted: application/json, application/yaml, "
              "application/vnd.kubernetes.protobuf");
}

json successStatus(const ResourceName& res, const std::string& name, const std::string& uid) {
  json details = nameDetails(res, name, res.plural);
  details["uid"] = uid;
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"details", details}};
}

}  // namespace univirt::kubelite
