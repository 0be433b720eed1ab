// Every VirtualMachine operation the test driver supports, requested as a user does it: the real
// kubectl applies a VirtualMachine with spec.lifecycle to a real kube-lite; the lifecycle engine
// with the production operation table carries it out on test:///default in this process. Each
// step reads the outcome back from the object, counts its Doing/Done Events and checks libvirt's
// state through a second connection. (Device hot-plug, live resizes and VNC need a real libvirtd:
// tests/system/virtctl and vm_libvirtd_test.cpp.)

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/lifecycle/engine.h"
#include "core/lifecycle/request_marker.h"
#include "core/virt/connection.h"
#include "integration/kube_client/kube_lite_client.h"
#include "virtctl/vm/vm_operations.h"
#include "virtctl/watched_kinds.h"

namespace univirt::virtctl {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
const kube::ResourceRef kEvents{"events.k8s.io", "v1", "events", true};
constexpr const char* kUri = "test:///default";
constexpr const char* kNode = "engine-node";

class VmThroughEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new univirt::testing::KubeLiteProcess();
    ASSERT_TRUE(server_->start()) << server_->lastError();
    auto applied = server_->kubectl(
        {"apply", "-f", std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachine.yaml"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    ASSERT_EQ(server_
                  ->kubectl({"wait", "--for=condition=Established", "--timeout=30s",
                             "crd/virtualmachines.doslab.io"})
                  .exit_code,
              0);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    std::string pattern =
        (std::filesystem::temp_directory_path() / "univirt-vm-engine.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ns_ = fmt::format("vme-{}", ++counter_);
    ASSERT_EQ(server_->kubectl({"create", "namespace", ns_}).exit_code, 0);
    auto client = kube::testing::clientFor(*server_);
    ASSERT_TRUE(client.has_value());
    client_ = std::move(*client);
    auto connection = virt::Connection::open(kUri);
    ASSERT_TRUE(connection.has_value());
    connection_ = std::make_shared<virt::Connection>(std::move(*connection));
    auto observer = virt::Connection::open(kUri);
    ASSERT_TRUE(observer.has_value());
    observer_ = std::make_unique<virt::Connection>(std::move(*observer));

    deps_.settings.node_name = kNode;
    deps_.settings.device_dir = (dir_ / "devices").string();
    deps_.connect = [this]() -> util::Result<std::shared_ptr<virt::Connection>> {
      return connection_;
    };
    deps_.client = client_.get();
    addVirtualMachineOperations(table_, deps_);
    engine_ = std::make_unique<lifecycle::LifecycleEngine>(
        *client_, table_,
        std::vector<lifecycle::WatchedKind>{
            {.kind = "VirtualMachine", .resource = kVirtualMachines, .on_deleted = {}}},
        lifecycle::EngineOptions{.node_name = kNode,
                                 .namespace_name = ns_,
                                 .workers = 2,
                                 .validation = {.path_roots = {dir_.string()}}});
    engine_->start();
    ASSERT_TRUE(engine_->waitForSync(20s));
  }

  void TearDown() override {
    if (engine_) {
      engine_->stop();
    }
    for (const auto& name : domains_) {
      if (auto domain = observer_->lookupDomain(name); domain.has_value()) {
        (void)domain->destroy();
        (void)domain->undefine();
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string file(const std::string& name, std::size_t bytes = 0) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << std::string(bytes, '\0');
    return path;
  }

  // kubectl apply of the VirtualMachine `name` asking for `operation` with `params`.
  void request(const std::string& name, const std::string& operation,
               const nlohmann::json& params = nlohmann::json::object()) {
    const nlohmann::json object = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", "VirtualMachine"},
        {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", {{"host", kNode}}}}},
        {"spec", {{"nodeName", kNode}, {"lifecycle", {{operation, params}}}}}};
    auto applied = server_->kubectl({"apply", "-f", "-"}, {}, object.dump());
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }

  kube::Object outcome(const std::string& name, const std::string& operation) {
    kube::Object last;
    for (int i = 0; i < 400; ++i) {
      auto got = client_->get(kVirtualMachines, {ns_, name});
      if (got.has_value()) {
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
      } else if (got.error().code == util::ErrorCode::NotFound) {
        return {};
      }
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "no outcome of " << operation << ": " << last.dump();
    return last;
  }

  // Requests `operation`, expects it to succeed with .spec.powerstate `powerstate` (empty: any)
  // and one Doing and one Done Event for it.
  kube::Object expectSuccess(const std::string& name, const std::string& operation,
                             const nlohmann::json& params, const std::string& powerstate) {
    request(name, operation, params);
    kube::Object done = outcome(name, operation);
    EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Succeeded")
        << operation << ": " << done["spec"]["status"].dump();
    if (!powerstate.empty()) {
      EXPECT_EQ(done["spec"].value("powerstate", ""), powerstate) << operation;
      EXPECT_EQ(done["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], powerstate);
    }
    engine_->waitIdle();
    int doing = 0;
    int finished = 0;
    auto events = client_->list(kEvents, ns_);
    EXPECT_TRUE(events.has_value());
    if (events.has_value()) {
      for (const auto& event : events->items) {
        if (event["regarding"].value("name", "") != name ||
            event.value("reason", "") != operation) {
          continue;
        }
        const std::string note = event.value("note", "");
        doing += note.find("status:Doing") != std::string::npos ? 1 : 0;
        finished += note.find("status:Done") != std::string::npos ? 1 : 0;
      }
    }
    EXPECT_GE(doing, 1) << operation;
    EXPECT_EQ(doing, finished) << operation;
    return done;
  }

  virt::PowerState state(const std::string& name) {
    auto domain = observer_->lookupDomain(name);
    return domain.has_value() ? domain->state().value_or(virt::PowerState::NoState)
                              : virt::PowerState::NoState;
  }

  std::string xml(const std::string& name, unsigned int flags = 0) {
    auto domain = observer_->lookupDomain(name);
    return domain.has_value() ? domain->xml(flags).value_or("") : std::string();
  }

  nlohmann::json isoRequest() {
    return {{"virt_type", "qemu"},
            {"memory", "1024"},
            {"vcpus", "1"},
            {"os_variant", "centos7.0"},
            {"cdrom", file("centos7.iso")},
            {"disk", file("disk.qcow2") + ",format=qcow2"},
            {"network", "type=bridge,source=virbr0"},
            {"graphics", "vnc,listen=127.0.0.1"},
            {"noautoconsole", true}};
  }

  static inline univirt::testing::KubeLiteProcess* server_ = nullptr;
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string ns_;
  std::unique_ptr<kube::Client> client_;
  std::shared_ptr<virt::Connection> connection_;
  std::unique_ptr<virt::Connection> observer_;
  VmOperationDeps deps_;
  lifecycle::OperationTable table_;
  std::unique_ptr<lifecycle::LifecycleEngine> engine_;
  std::vector<std::string> domains_;
};

TEST_F(VmThroughEngine, EveryTestDriverOperationThroughTheObject) {
  const std::string vm = fmt::format("eng-vm-{}", ::getpid());
  domains_.push_back(vm);
  kube::Object created = expectSuccess(vm, "createAndStartVMFromISO", isoRequest(), "Running");
  EXPECT_EQ(created["spec"]["domain"]["name"]["text"], vm);
  EXPECT_EQ(created["status"]["phase"], "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);

  expectSuccess(vm, "suspendVM", nlohmann::json::object(), "Paused");
  EXPECT_EQ(state(vm), virt::PowerState::Paused);
  expectSuccess(vm, "resumeVM", nlohmann::json::object(), "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);
  expectSuccess(vm, "rebootVM", nlohmann::json::object(), "Running");
  expectSuccess(vm, "resetVM", nlohmann::json::object(), "Running");

  expectSuccess(vm, "setBootOrder", {{"order", "hda,vda"}}, "Running");
  EXPECT_THAT(xml(vm, VIR_DOMAIN_XML_INACTIVE), HasSubstr("<boot order='1'/>"));
  kube::Object maxmem = expectSuccess(vm, "resizeMaxRAM", {{"size", "2G"}}, "Running");
  EXPECT_THAT(maxmem["status"]["lastOperation"]["message"].get<std::string>(),
              HasSubstr("next boot"));
  expectSuccess(vm, "resizeRAM", {{"size", "524288"}, {"config", true}}, "Running");
  expectSuccess(vm, "changeNumberOfCPU", {{"count", "1"}, {"config", true}}, "Running");
  expectSuccess(vm, "tuneMemoryQoS", {{"hard-limit", "1G"}}, "Running");
  expectSuccess(vm, "tuneSchedinfo", {{"weight", "200"}}, "Running");
  expectSuccess(vm, "tuneNICQoS", {{"interface", "testnet0"}, {"inbound", "1000,2000,3000"}},
                "Running");
  EXPECT_THAT(xml(vm), HasSubstr("<inbound average='1000' peak='2000' burst='3000'/>"));
  expectSuccess(vm, "setGuestPassword",
                {{"os_type", "linux"}, {"user", "root"}, {"password", "pw; touch x"}}, "Running");

  const std::string saved = (dir_ / "saved.img").string();
  expectSuccess(vm, "saveVM", {{"file", saved}}, "Shutdown");
  EXPECT_TRUE(std::filesystem::exists(saved));
  expectSuccess(vm, "restoreVM", {{"file", saved}}, "Running");
  EXPECT_EQ(state(vm), virt::PowerState::Running);

  expectSuccess(vm, "stopVMForce", nlohmann::json::object(), "Shutdown");
  EXPECT_EQ(state(vm), virt::PowerState::Shutoff);
  const std::string image = file("new-os.qcow2", 4096);
  expectSuccess(vm, "updateOS", {{"source", (dir_ / "disk.qcow2").string()}, {"target", image}},
                "Shutdown");
  EXPECT_EQ(std::filesystem::file_size(dir_ / "disk.qcow2"), 4096U);
  expectSuccess(vm, "startVM", nlohmann::json::object(), "Running");
  expectSuccess(vm, "stopVM", nlohmann::json::object(), "Shutdown");

  // A migration to this very node cannot work; it must fail with a message, not vanish.
  request(vm, "migrateVM", {{"ip", "127.0.0.1"}});
  kube::Object migrated = outcome(vm, "migrateVM");
  EXPECT_EQ(migrated["status"]["lastOperation"]["phase"], "Failed");

  request(vm, "deleteVM");
  EXPECT_TRUE(outcome(vm, "deleteVM").empty()) << "the object is deleted";
  EXPECT_FALSE(observer_->lookupDomain(vm).has_value());
}

TEST_F(VmThroughEngine, CreateVmFromAFileAndFromAnImage) {
  const std::string from_file = fmt::format("eng-file-{}", ::getpid());
  domains_.push_back(from_file);
  const std::string path = (dir_ / "domain.xml").string();
  std::ofstream(path) << fmt::format(
      "<domain type='qemu'><name>{}</name><memory>131072</memory>"
      "<os><type arch='x86_64'>hvm</type></os></domain>",
      from_file);
  expectSuccess(from_file, "createVM", {{"file", path}}, "Running");
  EXPECT_THAT(xml(from_file), HasSubstr(fmt::format("namespace=\"{}\"", ns_)));

  const std::string from_image = fmt::format("eng-image-{}", ::getpid());
  domains_.push_back(from_image);
  expectSuccess(from_image, "createAndStartVMFromImage",
                {{"virt_type", "qemu"}, {"memory", "256"}, {"disk", file("image.qcow2")}},
                "Running");
  EXPECT_EQ(state(from_image), virt::PowerState::Running);
}

TEST_F(VmThroughEngine, ResizeVmOfAShutOffDomainThroughTheObject) {
  const std::string vm = fmt::format("eng-grow-{}", ::getpid());
  domains_.push_back(vm);
  nlohmann::json create = isoRequest();
  create["disk"] = "path=" + (dir_ / "grow.qcow2").string() + ",size=0.01";
  expectSuccess(vm, "createAndStartVMFromISO", create, "Running");
  expectSuccess(vm, "stopVMForce", nlohmann::json::object(), "Shutdown");
  expectSuccess(vm, "resizeVM", {{"path", "vda"}, {"size", "20M"}}, "Shutdown");
}

}  // namespace
}  // namespace univirt::virtctl
