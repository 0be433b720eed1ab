#include "integration/sdsctl/engine_harness.h"

#include <map>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/lifecycle/request_marker.h"
#include "integration/kube_client/kube_lite_client.h"
#include "virtctl/watched_kinds.h"

namespace univirt::sdsctl::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUri = "test:///default";
constexpr auto kOutcomeDeadline = 60s;
constexpr auto kPoll = 20ms;

}  // namespace

kube::ResourceRef resourceOf(const std::string& kind) {
  static const std::map<std::string, std::string> kPlural = {
      {kPoolKind, "virtualmachinepools"},
      {kDiskKind, "virtualmachinedisks"},
      {kImageKind, "virtualmachinediskimages"},
      {kSnapshotKind, "virtualmachinedisksnapshots"}};
  return virtctl::doslabResource(kPlural.at(kind));
}

std::unique_ptr<univirt::testing::KubeLiteProcess> startStorageKubeLite() {
  auto server = std::make_unique<univirt::testing::KubeLiteProcess>();
  if (!server->start()) {
    ADD_FAILURE() << "kube-lite did not start: " << server->lastError();
    return nullptr;
  }
  for (const char* crd : {"virtualmachinepool", "virtualmachinedisk", "virtualmachinediskimage",
                          "virtualmachinedisksnapshot"}) {
    auto applied = server->kubectl(
        {"apply", "-f", fmt::format("{}/daemons/crds/{}.yaml", UNIVIRT_SOURCE_DIR, crd)});
    if (applied.exit_code != 0) {
      ADD_FAILURE() << "kubectl apply of " << crd << " failed: " << applied.err;
      return nullptr;
    }
    auto established = server->kubectl({"wait", "--for=condition=Established", "--timeout=30s",
                                        fmt::format("crd/{}s.doslab.io", crd)});
    if (established.exit_code != 0) {
      ADD_FAILURE() << "CRD " << crd << " was not established: " << established.err;
      return nullptr;
    }
  }
  return server;
}

StorageEngine::StorageEngine(univirt::testing::KubeLiteProcess& server, std::string namespace_name,
                             std::string node, StorageSettings settings)
    : server_(server), namespace_(std::move(namespace_name)), node_(std::move(node)) {
  if (auto created = server_.kubectl({"create", "namespace", namespace_}); created.exit_code != 0) {
    error_ = "kubectl create namespace failed: " + created.err;
    return;
  }
  auto client = kube::testing::clientFor(server_);
  if (!client) {
    error_ = client.error().message;
    return;
  }
  client_ = std::move(*client);
  // The sdsctl handlers run inside virtctl: the engine and they identify as virtctl.
  auto daemon_client = kube::testing::daemonClientFor(server_, "virtctl");
  if (!daemon_client) {
    error_ = daemon_client.error().message;
    return;
  }
  daemon_client_ = std::move(*daemon_client);
  auto connection = virt::Connection::open(kUri);
  if (!connection) {
    error_ = connection.error().message;
    return;
  }
  connection_ = std::make_shared<virt::Connection>(std::move(*connection));

  auto shared = connection_;
  deps_.connect = [shared]() -> util::Result<std::shared_ptr<virt::Connection>> { return shared; };
  deps_.client = daemon_client_.get();
  deps_.node_name = node_;
  deps_.settings = std::move(settings);
  addStorageOperations(table_, deps_);
  std::vector<lifecycle::WatchedKind> kinds;
  for (auto& kind : virtctl::watchedKinds(table_)) {
    if (!table_.operationsOf(kind.kind).empty()) {
      kinds.push_back(std::move(kind));
    }
  }
  if (kinds.size() != 4U) {
    error_ = fmt::format("the storage rows cover {} kinds, not 4", kinds.size());
    return;
  }
  addCleanupFinalizers(kinds);
  engine_ = std::make_unique<lifecycle::LifecycleEngine>(
      *daemon_client_, table_, std::move(kinds),
      lifecycle::EngineOptions{.node_name = node_,
                               .namespace_name = namespace_,
                               .workers = 2,
                               .validation = {.path_roots = deps_.settings.path_roots}});
  engine_->start();
  if (!engine_->waitForSync(20s)) {
    error_ = "the engine did not sync within 20 s";
  }
}

StorageEngine::~StorageEngine() {
  if (engine_) {
    engine_->stop();
  }
  if (connection_) {
    for (const auto& name : pools_) {
      if (auto pool = connection_->lookupStoragePool(name); pool.has_value()) {
        (void)pool->destroy();
        (void)pool->undefine();
      }
    }
  }
}

nlohmann::json StorageEngine::object(const std::string& kind, const std::string& name,
                                     const std::string& operation, nlohmann::json params) const {
  return {{"apiVersion", "doslab.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}, {"namespace", namespace_}, {"labels", {{"host", node_}}}}},
          {"spec", {{"nodeName", node_}, {"lifecycle", {{operation, std::move(params)}}}}}};
}

void StorageEngine::apply(const nlohmann::json& object) const {
  auto applied = server_.kubectl({"apply", "-f", "-"}, {}, object.dump());
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
}

kube::Object StorageEngine::outcome(const std::string& kind, const std::string& name,
                                    const std::string& operation) const {
  kube::Object last;
  const auto deadline = std::chrono::steady_clock::now() + kOutcomeDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = client_->get(resourceOf(kind), {namespace_, name});
    if (!got.has_value()) {
      if (got.error().code == util::ErrorCode::NotFound) {
        return {};
      }
    } else {
      last = *got;
      const auto op = last.value("status", nlohmann::json::object())
                          .value("lastOperation", nlohmann::json::object());
      const bool marked = last["metadata"]
                              .value("annotations", nlohmann::json::object())
                              .contains(std::string(lifecycle::kOperationAnnotation));
      if (op.value("name", "") == operation && op.value("phase", "Running") != "Running" &&
          !marked && !last["spec"].contains("lifecycle")) {
        return last;
      }
    }
    std::this_thread::sleep_for(kPoll);
  }
  ADD_FAILURE() << "no outcome of " << operation << " on " << name << ": " << last.dump();
  return last;
}

kube::Object StorageEngine::run(const nlohmann::json& object) const {
  apply(object);
  return outcome(object["kind"], object["metadata"]["name"],
                 object["spec"]["lifecycle"].begin().key());
}

kube::Object StorageEngine::get(const std::string& kind, const std::string& name) const {
  auto got = client_->get(resourceOf(kind), {namespace_, name});
  return got.has_value() ? *got : kube::Object{};
}

void StorageEngine::deleteAndWait(const std::string& resource, const std::string& name,
                                  const std::string& kind) const {
  auto deleted = server_.kubectl({"delete", "-n", namespace_, resource, name, "--wait=false"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  const auto deadline = std::chrono::steady_clock::now() + kOutcomeDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = client_->get(resourceOf(kind), {namespace_, name});
    if (!got.has_value() && got.error().code == util::ErrorCode::NotFound) {
      return;
    }
    std::this_thread::sleep_for(kPoll);
  }
  ADD_FAILURE() << kind << " " << name << " is still there after kubectl delete";
}

}  // namespace univirt::sdsctl::testing
