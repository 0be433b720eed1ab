#pragma once

// What every virtlet integration test needs: a real kube-lite with the CRDs, a client for the
// test and one as virtlet for the code under test, a namespace of its own, a temporary
// directory and a wait with a deadline (no sleeps).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/kube/client.h"
#include "integration/kube_client/kube_lite_client.h"

namespace univirt::virtlet::testing {

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

class VirtletTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // The object, or null when it does not exist.
  nlohmann::json get(const kube::ResourceRef& ref, const std::string& name) const;

  static univirt::testing::KubeLiteProcess* server_;
  // The test's own requests (setup, assertions): the test binary's User-Agent.
  std::unique_ptr<kube::Client> client_;
  // For the virtlet code under test only: it identifies as univirt-virtlet/..., so kube-lite's
  // audit log counts its requests as the daemon's (tests/system/rbac derives the ClusterRole
  // from them). Never for the test's own requests.
  std::unique_ptr<kube::Client> daemon_client_;
  std::string ns_;
  std::filesystem::path dir_;
};

}  // namespace univirt::virtlet::testing
