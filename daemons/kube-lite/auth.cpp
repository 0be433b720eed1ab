#include "kube-lite/auth.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/rand.h>

namespace univirt::kubelite {

using util::Error;
using util::ErrorCode;

namespace {

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string current;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (c == ',' && !quoted) {
      fields.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  fields.push_back(current);
  return fields;
}

}  // namespace

std::string randomToken() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof(bytes));
  std::string out;
  for (unsigned char b : bytes) {
    out += fmt::format("{:02x}", b);
  }
  return out;
}

util::Result<TokenAuthenticator> TokenAuthenticator::load(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    std::ofstream out(path);
    if (!out) {
      return Error{ErrorCode::Unavailable, fmt::format("cannot create token file '{}'", path)};
    }
    out << randomToken() << ",admin,admin,\"system:masters\"\n";
    out.close();
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  std::ifstream in(path);
  if (!in) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot read token file '{}'", path)};
  }
  TokenAuthenticator auth;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto fields = splitCsv(line);
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      return Error{
          ErrorCode::InvalidArgument,
          fmt::format("token file '{}' line {} needs 'token,user,uid[,\"groups\"]'", path, number)};
    }
    UserInfo user{fields[1], {}};
    if (fields.size() >= 4) {
      std::stringstream groups(fields[3]);
      std::string group;
      while (std::getline(groups, group, ',')) {
        user.groups.push_back(group);
      }
    }
    if (auth.first_token_.empty()) {
      auth.first_token_ = fields[0];
    }
    auth.tokens_[fields[0]] = user;
  }
  if (auth.tokens_.empty()) {
    return Error{ErrorCode::InvalidArgument, fmt::format("token file '{}' has no tokens", path)};
  }
  return auth;
}

std::optional<UserInfo> TokenAuthenticator::authenticate(const std::string& header) const {
  static const std::string kBearer = "Bearer ";
  if (header.compare(0, kBearer.size(), kBearer) != 0) {
    return std::nullopt;
  }
  std::string token = header.substr(kBearer.size());
  while (!token.empty() && token.back() == ' ') {
    token.pop_back();
  }
  auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace univirt::kubelite
