#pragma once

// The storage rows as users reach them: one real kube-lite per test binary with the four
// storage CRDs applied, and per test a lifecycle engine with the production rows
// (addStorageOperations) on test:///default in this process, watching one namespace. Requests
// are applied with the real kubectl; outcome() waits (with a deadline) until the engine has
// recorded the result. Shared by storage_engine_test.cpp (directory pools) and
// rbd_engine_test.cpp (Ceph RBD pools).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "core/virt/connection.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "sdsctl/storage_operations.h"

namespace univirt::sdsctl::testing {

// virtualmachinepools … for kPoolKind …
kube::ResourceRef resourceOf(const std::string& kind);

// Starts a kube-lite and applies the storage CRDs; null (with a gtest failure) on error.
std::unique_ptr<univirt::testing::KubeLiteProcess> startStorageKubeLite();

class StorageEngine {
 public:
  // Creates namespace `namespace_name` on `server` and starts the engine for `node` with
  // `settings` (its path roots are also the table's validation roots). Check ready().
  StorageEngine(univirt::testing::KubeLiteProcess& server, std::string namespace_name,
                std::string node, StorageSettings settings);
  // Stops the engine; destroys and undefines the libvirt pools named in cleanUpPool().
  ~StorageEngine();
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;

  // Empty when the engine runs and has synced; else what failed.
  const std::string& error() const { return error_; }

  // A request object of `kind` in this namespace on this node.
  nlohmann::json object(const std::string& kind, const std::string& name,
                        const std::string& operation, nlohmann::json params) const;
  // kubectl apply -f - (adds a gtest failure when kubectl fails).
  void apply(const nlohmann::json& object) const;
  // Waits for the recorded outcome of `operation` on the object; {} once the object is gone.
  kube::Object outcome(const std::string& kind, const std::string& name,
                       const std::string& operation) const;
  // apply + outcome.
  kube::Object run(const nlohmann::json& object) const;
  // The object, or {} when it does not exist.
  kube::Object get(const std::string& kind, const std::string& name) const;
  // kubectl delete (short resource name `resource`), then waits until the finalizer let the
  // object go.
  void deleteAndWait(const std::string& resource, const std::string& name,
                     const std::string& kind) const;

  void cleanUpPool(const std::string& name) { pools_.push_back(name); }

  const std::string& namespaceName() const { return namespace_; }
  const std::string& node() const { return node_; }
  kube::Client& client() { return *client_; }
  virt::Connection& connection() { return *connection_; }
  univirt::testing::KubeLiteProcess& server() { return server_; }

 private:
  univirt::testing::KubeLiteProcess& server_;
  std::string namespace_;
  std::string node_;
  std::string error_;
  std::unique_ptr<kube::Client> client_;  // the test's own requests (client())
  // The engine's and the sdsctl handlers': identifies as univirt-virtctl/... (the handlers run
  // inside virtctl), so kube-lite's audit log counts its requests as virtctl's
  // (tests/system/rbac). Never for the test's own requests.
  std::unique_ptr<kube::Client> daemon_client_;
  std::shared_ptr<virt::Connection> connection_;
  StorageOperationDeps deps_;
  lifecycle::OperationTable table_;
  std::unique_ptr<lifecycle::LifecycleEngine> engine_;
  std::vector<std::string> pools_;
};

}  // namespace univirt::sdsctl::testing
