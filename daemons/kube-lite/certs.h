#pragma once

// Certificates kube-lite creates on first start in --data-dir (OpenSSL 3):
//   ca.crt/ca.key           self-signed CA (10 years)
//   serving.crt/serving.key server certificate signed by the CA, SANs = every bound address
//                           plus 127.0.0.1 and localhost; re-issued when an address is missing
//   admin.crt/admin.key     client certificate CN=admin, O=system:masters for kubeconfigs that
//                           authenticate with x509 instead of a token

#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::kubelite {

struct CertificatePaths {
  std::string ca_cert;
  std::string ca_key;
  std::string serving_cert;
  std::string serving_key;
  std::string client_cert;
  std::string client_key;
};

// Creates whatever is missing (or stale) under `dir` and returns the paths.
util::Result<CertificatePaths> ensureCertificates(const std::string& dir,
                                                  const std::vector<std::string>& addresses);

// Issues a client certificate signed by the CA (used by tests and --write-kubeconfig).
util::Status issueClientCertificate(const CertificatePaths& paths, const std::string& user,
                                    const std::string& group, const std::string& cert_path,
                                    const std::string& key_path);

util::Result<std::string> readFile(const std::string& path);

}  // namespace univirt::kubelite
