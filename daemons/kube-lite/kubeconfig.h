#pragma once

// Writes a kubeconfig for kube-lite: cluster "kube-lite" with certificate-authority-data and
// server URL, user "admin" with a bearer token or client-certificate-data/client-key-data.
// JSON is valid YAML, and kubectl and python3-kubernetes read it.

#include <string>

#include "core/util/result.h"

namespace univirt::kubelite {

struct KubeconfigSpec {
  std::string server;  // https://127.0.0.1:6443
  std::string ca_pem;  // empty for plain HTTP
  std::string token;   // bearer token, or
  std::string client_cert_pem;
  std::string client_key_pem;
};

util::Status writeKubeconfig(const std::string& path, const KubeconfigSpec& spec);

}  // namespace univirt::kubelite
