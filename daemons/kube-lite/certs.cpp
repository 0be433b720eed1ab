#include "kube-lite/certs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace univirt::kubelite {

using util::Error;
using util::ErrorCode;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr long kCaLifetimeSeconds = 10L * 365 * 24 * 3600;
constexpr long kLeafLifetimeSeconds = 5L * 365 * 24 * 3600;

Error sslError(const std::string& what) {
  return Error{ErrorCode::Internal, fmt::format("OpenSSL failed to {}", what)};
}

PkeyPtr newKey() { return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

bool addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return false;
  }
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

X509Ptr makeCert(EVP_PKEY* key, const std::string& cn, const std::string& org, X509* issuer,
                 long lifetime) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), lifetime);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return cert;
}

util::Status writePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) {
    return Error{ErrorCode::Unavailable, fmt::format("cannot write '{}'", path)};
  }
  bool ok = cert != nullptr ? PEM_write_bio_X509(bio.get(), cert) == 1
                            : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                       nullptr) == 1;
  if (!ok) {
    return sslError(fmt::format("write '{}'", path));
  }
  if (key != nullptr) {
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  return util::ok();
}

X509Ptr readCert(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return nullptr;
  }
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr readKey(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return nullptr;
  }
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

bool isIp(const std::string& address) {
  return address.find_first_not_of("0123456789.") == std::string::npos ||
         address.find(':') != std::string::npos;
}

std::string sanList(const std::vector<std::string>& addresses) {
  std::vector<std::string> entries = {"DNS:localhost", "IP:127.0.0.1"};
  for (const auto& address : addresses) {
    std::string entry = (isIp(address) ? "IP:" : "DNS:") + address;
    if (address != "0.0.0.0" && address != "::" &&
        std::find(entries.begin(), entries.end(), entry) == entries.end()) {
      entries.push_back(entry);
    }
  }
  return fmt::format("{}", fmt::join(entries, ","));
}

// True when the serving certificate names every address (its SAN text contains each).
bool coversAddresses(X509* cert, const std::vector<std::string>& addresses) {
  int index = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
  if (index < 0) {
    return false;
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509V3_EXT_print(bio.get(), X509_get_ext(cert, index), 0, 0);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string text(data, static_cast<size_t>(len));
  text += ",";
  for (const auto& address : addresses) {
    if (address == "0.0.0.0" || address == "::") {
      continue;
    }
    std::string want = (isIp(address) ? "IP Address:" : "DNS:") + address + ",";
    if (text.find(want) == std::string::npos) {
      return false;
    }
  }
  return true;
}

util::Status issueLeaf(X509* ca, EVP_PKEY* ca_key, const std::string& cn, const std::string& org,
                       const std::string& san, bool server, const std::string& cert_path,
                       const std::string& key_path) {
  PkeyPtr key = newKey();
  if (!key) {
    return sslError("generate a key");
  }
  X509Ptr cert = makeCert(key.get(), cn, org, ca, kLeafLifetimeSeconds);
  bool ok =
      addExtension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE") &&
      addExtension(cert.get(), ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
      addExtension(cert.get(), ca, NID_ext_key_usage, server ? "serverAuth" : "clientAuth") &&
      addExtension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (ok && !san.empty()) {
    ok = addExtension(cert.get(), ca, NID_subject_alt_name, san);
  }
  if (!ok || X509_sign(cert.get(), ca_key, EVP_sha256()) == 0) {
    return sslError(fmt::format("issue the certificate for '{}'", cn));
  }
  if (auto st = writePem(key_path, nullptr, key.get()); !st) {
    return st;
  }
  return writePem(cert_path, cert.get(), nullptr);
}

}  // namespace

util::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::NotFound, fmt::format("cannot read '{}'", path)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

util::Result<CertificatePaths> ensureCertificates(const std::string& dir,
                                                  const std::vector<std::string>& addresses) {
  CertificatePaths paths{dir + "/ca.crt",      dir + "/ca.key",    dir + "/serving.crt",
                         dir + "/serving.key", dir + "/admin.crt", dir + "/admin.key"};
  X509Ptr ca = readCert(paths.ca_cert);
  PkeyPtr ca_key = readKey(paths.ca_key);
  if (!ca || !ca_key) {
    ca_key = newKey();
    if (!ca_key) {
      return sslError("generate the CA key");
    }
    ca = makeCert(ca_key.get(), "univirt-kube-lite-ca", "", nullptr, kCaLifetimeSeconds);
    bool ok = addExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE") &&
              addExtension(ca.get(), ca.get(), NID_key_usage,
                           "critical,keyCertSign,cRLSign,digitalSignature") &&
              addExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    if (!ok || X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) {
      return sslError("sign the CA certificate");
    }
    if (auto st = writePem(paths.ca_key, nullptr, ca_key.get()); !st) {
      return st.error();
    }
    if (auto st = writePem(paths.ca_cert, ca.get(), nullptr); !st) {
      return st.error();
    }
    std::filesystem::remove(paths.serving_cert);
    std::filesystem::remove(paths.client_cert);
  }
  X509Ptr serving = readCert(paths.serving_cert);
  if (!serving || !readKey(paths.serving_key) || !coversAddresses(serving.get(), addresses)) {
    if (auto st = issueLeaf(ca.get(), ca_key.get(), "univirt-kube-lite", "", sanList(addresses),
                            true, paths.serving_cert, paths.serving_key);
        !st) {
      return st.error();
    }
  }
  if (!readCert(paths.client_cert) || !readKey(paths.client_key)) {
    if (auto st = issueLeaf(ca.get(), ca_key.get(), "admin", "system:masters", "", false,
                            paths.client_cert, paths.client_key);
        !st) {
      return st.error();
    }
  }
  return paths;
}

util::Status issueClientCertificate(const CertificatePaths& paths, const std::string& user,
                                    const std::string& group, const std::string& cert_path,
                                    const std::string& key_path) {
  X509Ptr ca = readCert(paths.ca_cert);
  PkeyPtr ca_key = readKey(paths.ca_key);
  if (!ca || !ca_key) {
    return Error{ErrorCode::NotFound, fmt::format("the CA in '{}' is unreadable", paths.ca_cert)};
  }
  return issueLeaf(ca.get(), ca_key.get(), user, group, "", false, cert_path, key_path);
}

}  // namespace univirt::kubelite
