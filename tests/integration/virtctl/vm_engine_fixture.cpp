#include "integration/virtctl/vm_engine_fixture.h"

#include <fstream>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>  // mkdtemp
#include <unistd.h>

#include "core/lifecycle/object_status.h"
#include "core/lifecycle/request_marker.h"
#include "integration/kube_client/kube_lite_client.h"

namespace univirt::virtctl::testing {

using namespace std::chrono_literals;

void VmEngineTest::SetUpTestSuite() {
  server_ = std::make_unique<univirt::testing::KubeLiteProcess>();
  ASSERT_TRUE(server_->start()) << server_->lastError();
  auto applied = server_->kubectl(
      {"apply", "-f", std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachine.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto established = server_->kubectl(
      {"wait", "--for=condition=Established", "--timeout=30s", "crd/virtualmachines.doslab.io"});
  ASSERT_EQ(established.exit_code, 0) << established.err;
}

void VmEngineTest::TearDownTestSuite() { server_.reset(); }

void VmEngineTest::startEngine(const std::string& uri, VmNodeSettings settings) {
  ASSERT_TRUE(server_ != nullptr) << "the suite's kube-lite did not start";
  std::string pattern =
      (std::filesystem::temp_directory_path() / "univirt-vm-engine.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                std::filesystem::perms::others_exec);
  ns_ = fmt::format("vme-{}-{}", ::getpid(), ++counter_);
  auto created = server_->kubectl({"create", "namespace", ns_});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto client = kube::testing::clientFor(*server_);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  client_ = std::move(*client);
  auto daemon_client = kube::testing::daemonClientFor(*server_, "virtctl");
  ASSERT_TRUE(daemon_client.has_value()) << daemon_client.error().message;
  daemon_client_ = std::move(*daemon_client);
  auto connection = virt::Connection::open(uri);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  connection_ = std::make_shared<virt::Connection>(std::move(*connection));
  auto observer = virt::Connection::open(uri);
  ASSERT_TRUE(observer.has_value()) << observer.error().message;
  observer_ = std::make_unique<virt::Connection>(std::move(*observer));

  settings.node_name = kEngineNode;
  settings.device_dir = (dir_ / "devices").string();
  deps_.settings = std::move(settings);
  deps_.connect = [this]() -> util::Result<std::shared_ptr<virt::Connection>> {
    return connection_;
  };
  deps_.client = daemon_client_.get();
  addVirtualMachineOperations(table_, deps_);
  engine_ = std::make_unique<lifecycle::LifecycleEngine>(
      *daemon_client_, table_,
      std::vector<lifecycle::WatchedKind>{
          {.kind = "VirtualMachine", .resource = kVirtualMachines, .on_deleted = {}}},
      lifecycle::EngineOptions{.node_name = kEngineNode,
                               .namespace_name = ns_,
                               .workers = 2,
                               .validation = {.path_roots = {dir_.string()}}});
  engine_->start();
  ASSERT_TRUE(engine_->waitForSync(20s));
}

void VmEngineTest::TearDown() {
  if (engine_) {
    engine_->stop();
  }
  if (observer_) {
    for (const std::string& name : domains_) {
      virt::DomainHandle domain(virDomainLookupByName(observer_->get(), name.c_str()));
      if (!domain) {
        continue;
      }
      if (virDomainIsActive(domain.get()) == 1) {
        virDomainDestroy(domain.get());
      }
      if (virDomainIsPersistent(domain.get()) == 1) {
        virDomainUndefineFlags(domain.get(), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                                 VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                                 VIR_DOMAIN_UNDEFINE_NVRAM);
      }
    }
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string VmEngineTest::file(const std::string& name, std::size_t bytes) const {
  std::string full = path(name);
  std::ofstream(full, std::ios::binary | std::ios::trunc) << std::string(bytes, '\0');
  return full;
}

void VmEngineTest::request(const std::string& name, const std::string& operation,
                           const nlohmann::json& params) {
  domains_.insert(name);
  const nlohmann::json object = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", {{"host", kEngineNode}}}}},
      {"spec", {{"nodeName", kEngineNode}, {"lifecycle", {{operation, params}}}}}};
  auto applied = server_->kubectl(
      {"apply", "-f", "-", "-o", "jsonpath={.metadata.resourceVersion}"}, {}, object.dump());
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  ASSERT_FALSE(applied.out.empty()) << "kubectl apply printed no resourceVersion";
  applied_versions_[name] = applied.out;
}

kube::Object VmEngineTest::outcome(const std::string& name, const std::string& operation) {
  const std::string applied = applied_versions_[name];
  const auto deadline = std::chrono::steady_clock::now() + outcome_timeout_;
  kube::Object last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = client_->get(kVirtualMachines, {ns_, name});
    if (got.has_value()) {
      last = *got;
      const auto op = last.value("status", nlohmann::json::object())
                          .value("lastOperation", nlohmann::json::object());
      const bool marked = last["metadata"]
                              .value("annotations", nlohmann::json::object())
                              .contains(std::string(lifecycle::kOperationAnnotation));
      // Only the take (marked) and the outcome follow the apply's version.
      if (last["metadata"].value("resourceVersion", "") != applied && !marked &&
          !last["spec"].contains("lifecycle") && op.value("name", "") == operation &&
          op.value("phase", "Running") != "Running") {
        return last;
      }
    } else if (got.error().code == util::ErrorCode::NotFound) {
      return {};
    }
    std::this_thread::sleep_for(25ms);
  }
  ADD_FAILURE() << "no outcome of " << operation << " on " << name << " within "
                << outcome_timeout_.count() << " s: " << last.dump();
  return last;
}

EventCounts VmEngineTest::events(const std::string& name, const std::string& operation) {
  EventCounts counts;
  auto listed = client_->list(kEventsV1, ns_);
  EXPECT_TRUE(listed.has_value()) << listed.error().message;
  if (!listed.has_value()) {
    return counts;
  }
  for (const auto& event : listed->items) {
    if (event["regarding"].value("name", "") != name || event.value("reason", "") != operation) {
      continue;
    }
    // Identical Events are aggregated into one with series.count.
    const int count = event.contains("series") ? event["series"].value("count", 1) : 1;
    const std::string note = event.value("note", "");
    if (note.find("status:Doing") != std::string::npos) {
      counts.doing += count;
    }
    if (note.find("status:Done") != std::string::npos) {
      counts.done += count;
      counts.warnings += event.value("type", "") == "Warning" ? count : 0;
    }
  }
  return counts;
}

std::string VmEngineTest::message(const kube::Object& object) {
  if (!object.contains("status") || !object["status"].contains("lastOperation")) {
    return {};
  }
  return object["status"]["lastOperation"].value("message", "");
}

kube::Object VmEngineTest::expectSuccess(const std::string& name, const std::string& operation,
                                         const nlohmann::json& params,
                                         const std::string& powerstate) {
  const EventCounts before = events(name, operation);
  request(name, operation, params);
  kube::Object done = outcome(name, operation);
  if (done.empty()) {
    // Only deleteVM removes the object; its tests use request() and outcome() directly.
    ADD_FAILURE() << operation << " on " << name << ": the object is gone";
    return done;
  }
  EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Succeeded")
      << operation << ": " << done["spec"].value("status", nlohmann::json()).dump();
  if (!powerstate.empty()) {
    EXPECT_EQ(done["spec"].value("powerstate", ""), powerstate) << operation;
    EXPECT_EQ(done["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], powerstate)
        << operation;
  }
  engine_->waitIdle();
  const EventCounts after = events(name, operation);
  EXPECT_EQ(after.doing - before.doing, 1) << operation;
  EXPECT_EQ(after.done - before.done, 1) << operation;
  EXPECT_EQ(after.warnings, before.warnings) << operation;
  return done;
}

std::string VmEngineTest::expectFailure(const std::string& name, const std::string& operation,
                                        const nlohmann::json& params) {
  const EventCounts before = events(name, operation);
  request(name, operation, params);
  kube::Object failed = outcome(name, operation);
  EXPECT_EQ(failed["status"]["lastOperation"]["phase"], "Failed") << operation;
  std::string text = message(failed);
  EXPECT_FALSE(text.empty()) << operation;
  // The upstream failure shape: .spec.status.conditions.state.waiting {reason, message}.
  const auto waiting = failed["spec"]["status"]["conditions"]["state"]["waiting"];
  EXPECT_EQ(waiting.value("message", ""), text) << operation;
  EXPECT_EQ(waiting.value("reason", ""),
            std::string(text.find("libvirt error from '") != std::string::npos
                            ? lifecycle::kReasonLibvirtError
                            : lifecycle::kReasonException))
      << operation;
  engine_->waitIdle();
  const EventCounts after = events(name, operation);
  EXPECT_EQ(after.warnings - before.warnings, 1) << operation;
  EXPECT_EQ(after.done - before.done, 1) << operation;
  return text;
}

std::optional<virt::Domain> VmEngineTest::domain(const std::string& name) {
  auto found = observer_->lookupDomain(name);
  if (!found.has_value()) {
    return std::nullopt;
  }
  return std::move(*found);
}

virt::PowerState VmEngineTest::state(const std::string& name) {
  auto found = domain(name);
  return found.has_value() ? found->state().value_or(virt::PowerState::NoState)
                           : virt::PowerState::NoState;
}

std::string VmEngineTest::xml(const std::string& name, unsigned int flags) {
  auto found = domain(name);
  if (!found.has_value()) {
    ADD_FAILURE() << "no domain " << name;
    return {};
  }
  auto text = found->xml(flags);
  if (!text.has_value()) {
    ADD_FAILURE() << text.error().message;
    return {};
  }
  return *text;
}

}  // namespace univirt::virtctl::testing
