#pragma once

// Authentication as kube-apiserver does it for the two methods real clients use here:
// bearer tokens from a static token file (CSV: token,user,uid[,"group1,group2"]) and x509
// client certificates signed by kube-lite's CA (user = CN, groups = O). There is no RBAC:
// an authenticated user may do everything.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::kubelite {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

class TokenAuthenticator {
 public:
  // Reads the token file; creates it with one random admin token when it does not exist.
  static util::Result<TokenAuthenticator> load(const std::string& path);

  std::optional<UserInfo> authenticate(const std::string& authorization_header) const;
  // The first token in the file (written into kubeconfigs).
  const std::string& firstToken() const { return first_token_; }

 private:
  std::map<std::string, UserInfo> tokens_;
  std::string first_token_;
};

std::string randomToken();

}  // namespace univirt::kubelite
