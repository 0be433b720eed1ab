#pragma once

// AuditLog: one JSON line per API request (user, verb, group, resource, subresource,
// namespace, name, code, ts) appended to a file that tests and operators read.

#include <fstream>
#include <mutex>
#include <string>

#include "core/util/result.h"
#include "kube-lite/api_server.h"

namespace univirt::kubelite {

class AuditLog {
 public:
  static util::Result<std::unique_ptr<AuditLog>> open(const std::string& path);

  void record(const std::string& user, const std::string& method, const std::string& path,
              const AuditRecord& record);

 private:
  explicit AuditLog(std::ofstream out) : out_(std::move(out)) {}
  std::mutex mu_;
  std::ofstream out_;  // guarded by mu_
};

}  // namespace univirt::kubelite
