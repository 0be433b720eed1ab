#pragma once

// LogOnce: a bad input the daemon cannot fix (a malformed domain XML file, an unreadable pool
// directory, a missing sysfs tree) is logged once, not on every rescan; once it is fine again,
// forget() lets the next problem be logged.

#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "core/util/log.h"

namespace univirt::virtlet {

class LogOnce {
 public:
  // Logs at warn level the first time `key` is seen; returns whether it logged.
  bool warn(const std::string& key, std::string_view msg, log::Fields fields) {
    {
      std::lock_guard lock(mu_);
      if (!seen_.insert(key).second) {
        return false;
      }
    }
    log::warn(msg, fields);
    return true;
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mu_);
    seen_.erase(key);
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> seen_;  // guarded by mu_
};

}  // namespace univirt::virtlet
