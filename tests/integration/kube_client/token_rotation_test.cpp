// Token rotation against a real kube-lite process: the client reads its bearer token from a
// file (as in-cluster clients read the projected service-account token). kube-lite loads its
// static token CSV at startup only, so the rotation restarts it on the same port with a new
// token that replaces the old one; the client keeps working once its token file is rewritten,
// without being rebuilt.

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::kube {
namespace {

const ResourceRef kNamespaces{"", "v1", "namespaces", false};

// Replaces `path` atomically (rename), as the kubelet swaps projected token files.
void writeFileAtomically(const std::string& path, const std::string& content) {
  std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content;
  }
  ASSERT_EQ(std::rename(temporary.c_str(), path.c_str()), 0) << path;
}

TEST(TokenRotation, ClientKeepsWorkingAfterItsTokenFileIsRewritten) {
  univirt::testing::KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  std::string old_token = server.token();
  ASSERT_FALSE(old_token.empty());
  std::string token_path = server.dir() + "/client-token";
  writeFileAtomically(token_path, old_token + "\n");

  auto config = testing::clientConfigFor(server);
  ASSERT_TRUE(config) << config.error().message;
  config->token = TokenSource::file(token_path);
  auto client = Client::create(*config);
  ASSERT_TRUE(client) << client.error().message;
  auto before = (*client)->list(kNamespaces, "");
  ASSERT_TRUE(before) << before.error().message;

  // Rotate on the server: the CSV's first line gets a new token, the old one is gone.
  ASSERT_NE(server.stop(), -1);
  std::string csv_path = server.dataDir() + "/tokens.csv";
  std::string csv = univirt::testing::readWholeFile(csv_path);
  ASSERT_EQ(csv.substr(0, old_token.size()), old_token);
  std::string new_token = "rotated-" + old_token;
  writeFileAtomically(csv_path, new_token + csv.substr(old_token.size()));
  ASSERT_TRUE(server.start()) << server.lastError();
  ASSERT_EQ(server.token(), new_token);

  auto with_old_token = (*client)->list(kNamespaces, "");
  ASSERT_FALSE(with_old_token);
  EXPECT_EQ(with_old_token.error().code, util::ErrorCode::PermissionDenied)
      << with_old_token.error().message;

  writeFileAtomically(token_path, new_token + "\n");
  auto after = (*client)->list(kNamespaces, "");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->items.empty());
}

}  // namespace
}  // namespace univirt::kube
