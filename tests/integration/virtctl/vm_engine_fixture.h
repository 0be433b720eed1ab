#pragma once

// The fixture of the VirtualMachine tests that go the way a user goes: one real kube-lite per
// test suite with the VirtualMachine CRD; per test a namespace, a temp dir (the only path root,
// 0755 so that QEMU running as another user reaches its files) and the lifecycle engine with
// the production operation table on a libvirt URI (test:///default in-process, or the shared
// real libvirtd's qemu:///system). A request is applied with the real kubectl; the outcome is
// read back from the object, its Doing/Done Events are counted, and libvirt's state is read
// through a second connection.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "core/virt/connection.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::testing {

inline const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
inline const kube::ResourceRef kEventsV1{"events.k8s.io", "v1", "events", true};
inline constexpr const char* kEngineNode = "engine-node";

// Doing and Done Events of one operation on one object (aggregated repeats counted).
struct EventCounts {
  int doing = 0;
  int done = 0;
  int warnings = 0;  // Done Events of type Warning
};

class VmEngineTest : public ::testing::Test {
 protected:
  // One kube-lite per suite: starting it costs more than most operations.
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Call from SetUp: the engine's and the observer's connections to `uri`, a fresh namespace
  // and temp dir, and the engine started and synced. `settings.node_name` and `device_dir` are
  // set here.
  void startEngine(const std::string& uri, VmNodeSettings settings = {});
  // Stops the engine, destroys and undefines every domain the test requested anything for, and
  // removes the temp dir.
  void TearDown() override;

  // kubectl apply of VirtualMachine `name` asking for `operation` with `params`; remembers the
  // resourceVersion the apply wrote, so outcome() waits for a newer outcome.
  void request(const std::string& name, const std::string& operation,
               const nlohmann::json& params = nlohmann::json::object());
  // Waits (deadline outcome_timeout_) for the outcome of the last request() on `name`: the
  // request taken and finished, marker gone. Returns {} when the object was deleted.
  kube::Object outcome(const std::string& name, const std::string& operation);

  // Requests `operation` (not deleteVM: the object must remain) and expects it to succeed —
  // .spec.powerstate `powerstate` unless empty, one more Doing and one more Normal Done Event — and
  // returns the object as written.
  kube::Object expectSuccess(const std::string& name, const std::string& operation,
                             const nlohmann::json& params = nlohmann::json::object(),
                             const std::string& powerstate = "");
  // Requests `operation` and expects it to fail: lastOperation Failed, the upstream failure
  // shape in .spec.status, one more Warning Done Event. Returns the message.
  std::string expectFailure(const std::string& name, const std::string& operation,
                            const nlohmann::json& params = nlohmann::json::object());
  EventCounts events(const std::string& name, const std::string& operation);
  static std::string message(const kube::Object& object);

  // Through the observer connection.
  virt::PowerState state(const std::string& name);
  std::string xml(const std::string& name, unsigned int flags = 0);
  std::optional<virt::Domain> domain(const std::string& name);

  std::string path(const std::string& file) const { return (dir_ / file).string(); }
  // Writes `bytes` zero bytes to a file in the temp dir and returns its path.
  std::string file(const std::string& name, std::size_t bytes = 0) const;

  static inline std::unique_ptr<univirt::testing::KubeLiteProcess> server_;
  static inline int counter_ = 0;
  std::chrono::seconds outcome_timeout_{120};
  std::filesystem::path dir_;
  std::string ns_;
  std::unique_ptr<kube::Client> client_;  // the test's own requests
  // The engine's and the handlers': identifies as univirt-virtctl/..., so kube-lite's audit log
  // counts its requests as virtctl's (tests/system/rbac). Never for the test's own requests.
  std::unique_ptr<kube::Client> daemon_client_;
  std::shared_ptr<virt::Connection> connection_;
  std::unique_ptr<virt::Connection> observer_;
  VmOperationDeps deps_;
  lifecycle::OperationTable table_;
  std::unique_ptr<lifecycle::LifecycleEngine> engine_;
  std::set<std::string> domains_;
  std::map<std::string, std::string> applied_versions_;  // name → resourceVersion of the apply
};

}  // namespace univirt::virtctl::testing
