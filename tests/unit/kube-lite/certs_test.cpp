#include "kube-lite/certs.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

namespace univirt::kubelite {
namespace {

std::string subjectAltNames(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    return "";
  }
  int index = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
  BIO* out = BIO_new(BIO_s_mem());
  X509V3_EXT_print(out, X509_get_ext(cert, index), 0, 0);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string text(data, static_cast<size_t>(len));
  BIO_free(out);
  X509_free(cert);
  return text;
}

class Certs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kl-certs-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(Certs, ServingCertificateNamesEveryBoundAddress) {
  auto paths = ensureCertificates(dir_, {"10.1.2.3", "node.example"});
  ASSERT_TRUE(paths.has_value()) << paths.error().message;
  std::string sans = subjectAltNames(paths->serving_cert);
  EXPECT_NE(sans.find("IP Address:127.0.0.1"), std::string::npos) << sans;
  EXPECT_NE(sans.find("DNS:localhost"), std::string::npos) << sans;
  EXPECT_NE(sans.find("IP Address:10.1.2.3"), std::string::npos) << sans;
  EXPECT_NE(sans.find("DNS:node.example"), std::string::npos) << sans;
}

TEST_F(Certs, ReissuesServingCertificateForANewAddressButKeepsTheCa) {
  auto first = ensureCertificates(dir_, {"127.0.0.1"});
  ASSERT_TRUE(first.has_value());
  std::string ca = *readFile(first->ca_cert);
  auto again = ensureCertificates(dir_, {"127.0.0.1"});
  ASSERT_TRUE(again.has_value());
  std::string serving = *readFile(again->serving_cert);
  auto wider = ensureCertificates(dir_, {"127.0.0.1", "192.0.2.7"});
  ASSERT_TRUE(wider.has_value());
  EXPECT_EQ(*readFile(wider->ca_cert), ca);
  EXPECT_NE(*readFile(wider->serving_cert), serving);
  EXPECT_NE(subjectAltNames(wider->serving_cert).find("192.0.2.7"), std::string::npos);
  auto same = ensureCertificates(dir_, {"192.0.2.7"});
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(*readFile(same->serving_cert), *readFile(wider->serving_cert));
}

}  // namespace
}  // namespace univirt::kubelite
