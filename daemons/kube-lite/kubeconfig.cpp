#include "kube-lite/kubeconfig.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace univirt::kubelite {

namespace {

std::string base64(const std::string& data) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << data;
  encoder.close();
  return out.str();
}

}  // namespace

util::Status writeKubeconfig(const std::string& path, const KubeconfigSpec& spec) {
  nlohmann::json cluster = {{"server", spec.server}};
  if (!spec.ca_pem.empty()) {
    cluster["certificate-authority-data"] = base64(spec.ca_pem);
  }
  nlohmann::json user = nlohmann::json::object();
  if (!spec.token.empty()) {
    user["token"] = spec.token;
  } else if (!spec.client_cert_pem.empty()) {
    user["client-certificate-data"] = base64(spec.client_cert_pem);
    user["client-key-data"] = base64(spec.client_key_pem);
  }
  nlohmann::json config = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", "kube-lite"}, {"cluster", cluster}}}},
      {"users", {{{"name", "admin"}, {"user", user}}}},
      {"contexts",
       {{{"name", "kube-lite"},
         {"context", {{"cluster", "kube-lite"}, {"user", "admin"}, {"namespace", "default"}}}}}},
      {"current-context", "kube-lite"},
      {"preferences", nlohmann::json::object()}};
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) {
      return util::Error{util::ErrorCode::Unavailable,
                         fmt::format("cannot write kubeconfig '{}'", path)};
    }
    out << config.dump(2) << '\n';
  }
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("cannot write kubeconfig '{}': {}", path, ec.message())};
  }
  return util::ok();
}

}  // namespace univirt::kubelite
