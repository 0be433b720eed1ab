#pragma once

// ApiError: a failed API request in Kubernetes' own vocabulary (metav1.Status). Every non-2xx
// answer kube-lite gives is built from one of these, so code, reason and message wording stay
// in one place (kube-api-semantics.md §2.10).

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace univirt::kubelite {

struct Cause {
  std::string reason;  // FieldValueInvalid, FieldValueRequired, ...
  std::string message;
  std::string field;  // dotted path: spec.cpu
};

struct ApiError {
  int code = 500;
  std::string reason;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
  int retry_after_seconds = 0;  // > 0 adds the Retry-After header (429)

  nlohmann::json toStatus() const;
};

// What a resource is called in messages: "virtualmachines.doslab.io", core: "namespaces".
struct ResourceName {
  std::string group;
  std::string plural;
  std::string kind;

  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
  std::string qualifiedKind() const { return group.empty() ? kind : kind + "." + group; }
};

ApiError badRequest(std::string message);
ApiError unauthorized();
ApiError pathNotFound();
ApiError notFound(const ResourceName& res, const std::string& name);
ApiError alreadyExists(const ResourceName& res, const std::string& name);
ApiError conflict(const ResourceName& res, const std::string& name);
ApiError conflictMessage(const ResourceName& res, const std::string& name, std::string message);
ApiError invalid(const ResourceName& res, const std::string& name,
                 const std::vector<Cause>& causes);
ApiError methodNotAllowed();
ApiError unsupportedMediaType();
ApiError expired(std::string message);
ApiError tooManyRequests(int retry_after_seconds);
ApiError internalError(std::string message);
ApiError requestTooLarge(size_t limit);
ApiError notAcceptable();

// Status Success answer of an immediate custom-resource delete.
nlohmann::json successStatus(const ResourceName& res, const std::string& name,
                             const std::string& uid);

}  // namespace univirt::kubelite
