#include "kube-lite/audit.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "kube-lite/table.h"

namespace univirt::kubelite {

util::Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  std::ofstream out(path, std::ios::app);
  if (!out) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("cannot open audit log '{}'", path)};
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(out)));
}

void AuditLog::record(const std::string& user, const std::string& method, const std::string& path,
                      const AuditRecord& record) {
  nlohmann::json line = {{"ts", formatTimestamp(util::Clock::real().wallNow())},
                         {"user", user},
                         {"method", method},
                         {"path", path},
                         {"verb", record.verb},
                         {"group", record.group},
                         {"resource", record.resource},
                         {"subresource", record.subresource},
                         {"namespace", record.ns},
                         {"name", record.name},
                         {"code", record.code}};
  std::lock_guard lock(mu_);
  out_ << line.dump() << '\n';
  out_.flush();
}

}  // namespace univirt::kubelite
