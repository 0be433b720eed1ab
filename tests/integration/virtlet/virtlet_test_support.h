#pragma once

// What every virtlet integration test needs: a real kube-lite with the CRDs, a client, a
// namespace of its own, a temporary directory and a wait with a deadline (no sleeps).

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
  std::unique_ptr<kube::Client> client_;
  std::string ns_;
  std::filesystem::path dir_;
};

}  // namespace univirt::virtlet::testing
