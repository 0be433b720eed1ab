#pragma once

// Throw-away PKI for TLS tests, made with OpenSSL at test time (nothing committed): a CA and a
// leaf certificate signed by it for 127.0.0.1/localhost, usable as server or client cert.

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace univirt::kube::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

namespace detail {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

inline std::string bioString(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline Cert makeCert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                     bool ca, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  if (ca) {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    addExtension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

inline KeyPair toPem(X509* cert, EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert);
  PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return KeyPair{bioString(cert_bio.get()), bioString(key_bio.get())};
}

}  // namespace detail

struct TestPki {
  KeyPair ca;
  KeyPair leaf;  // for 127.0.0.1 and localhost, signed by ca
};

inline TestPki makeTestPki(const char* ca_name = "univirt test CA") {
  detail::Pkey ca_key(EVP_EC_gen("P-256"));
  detail::Cert ca_cert = detail::makeCert(ca_key.get(), ca_name, nullptr, nullptr, true, 1);
  detail::Pkey leaf_key(EVP_EC_gen("P-256"));
  detail::Cert leaf_cert =
      detail::makeCert(leaf_key.get(), "127.0.0.1", ca_cert.get(), ca_key.get(), false, 2);
  return TestPki{detail::toPem(ca_cert.get(), ca_key.get()),
                 detail::toPem(leaf_cert.get(), leaf_key.get())};
}

}  // namespace univirt::kube::testing
