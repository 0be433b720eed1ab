// The univirt-virtctl binary as an operator runs it: real kubectl applies the upstream example
// requests to a real kube-lite, virtctl carries them out on a real libvirtd (QEMU/TCG, shared
// by the run through the `virtctl_libvirtd` ctest fixture), and the test reads the outcome back
// from the object, its Events, and libvirt through its own connection. Also: kill -9 between
// taking a request and writing its outcome is settled exactly once, and nothing from a
// request ever reaches a shell.

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/kube/client.h"
#include "core/lifecycle/request_marker.h"
#include "core/virt/connection.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::virtctl {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using univirt::testing::BackgroundProcess;
using univirt::testing::KubeLiteProcess;
using univirt::testing::runProcess;

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
const kube::ResourceRef kEvents{"events.k8s.io", "v1", "events", true};
constexpr const char* kUri = "qemu:///system";
constexpr const char* kNode = "vm.node31";  // the examples' node; virtctl is told it is this node

std::string examplePath(const std::string& file) {
  return std::string(UNIVIRT_SOURCE_DIR) + "/tests/fixtures/upstream-examples/" + file;
}

nlohmann::json readJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

bool libvirtdAnswers() {
  auto connection = virt::Connection::open(kUri, virt::OpenMode::ReadOnly);
  return connection.has_value();
}

class VirtctlDaemonTest : public ::testing::Test {
 protected:
  // Shared setup runs in the first test's SetUp, not SetUpTestSuite: a failure there fails
  // that test, where a SetUpTestSuite failure would be reported to ctest as a skip.
  static void setUpShared() {
    server_ = new KubeLiteProcess();
    ASSERT_TRUE(server_->start()) << server_->lastError();
    auto applied = server_->kubectl(
        {"apply", "-f", std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/crds.yaml"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    auto established = server_->kubectl(
        {"wait", "--for=condition=Established", "--timeout=30s", "crd/virtualmachines.doslab.io"});
    ASSERT_EQ(established.exit_code, 0) << established.err;
    bridge_ = fmt::format("uvtbr{}", ::getpid() % 100000);
    // A bridge with no address: the examples' network becomes a NIC on it; no traffic leaves.
    auto added = runProcess({"/usr/sbin/ip", "link", "add", bridge_, "type", "bridge"});
    ASSERT_EQ(added.exit_code, 0) << added.err;
    ASSERT_EQ(runProcess({"/usr/sbin/ip", "link", "set", bridge_, "up"}).exit_code, 0);
    shared_ready_ = true;
  }

  static void TearDownTestSuite() {
    if (!bridge_.empty()) {
      (void)runProcess({"/usr/sbin/ip", "link", "del", bridge_});
    }
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (::geteuid() != 0 || !libvirtdAnswers()) {
      GTEST_SKIP() << "needs root and the libvirtd of the virtctl_libvirtd fixture on "
                      "qemu:///system (packages libvirt-daemon, qemu-system-x86)";
    }
    if (server_ == nullptr) {
      setUpShared();
    }
    ASSERT_TRUE(shared_ready_) << "the shared kube-lite, CRDs and bridge could not be set up";
    ++counter_;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("virtctl-daemon-{}-{}", ::getpid(), counter_);
    std::filesystem::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);  // QEMU runs as libvirt-qemu and must reach the disk files
    ns_ = fmt::format("vd-{}", counter_);
    ASSERT_EQ(server_->kubectl({"create", "namespace", ns_}).exit_code, 0);
    auto client = kube::testing::clientFor(*server_);
    ASSERT_TRUE(client.has_value());
    client_ = std::move(*client);
    auto observer = virt::Connection::open(kUri);
    ASSERT_TRUE(observer.has_value());
    observer_ = std::make_unique<virt::Connection>(std::move(*observer));
  }

  void TearDown() override {
    stopVirtctl(SIGTERM);
    for (const auto& name : domains_) {
      if (auto domain = observer_->lookupDomain(name); domain.has_value()) {
        (void)domain->destroy();
        (void)domain->undefine(VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM);
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::vector<std::string> virtctlArgv(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv = {
        std::string(UNIVIRT_BINARY_DIR) + "/daemons/virtctl/univirt-virtctl",
        "--config",
        "",
        "--kubeconfig",
        server_->kubeconfig(),
        "--node-name",
        kNode,
        "--namespace",
        ns_,
        "--libvirt-uri",
        kUri,
        "--path-roots",
        dir_.string(),
        "--allow-qemu-fallback",
        "--device-dir",
        (dir_ / "devices").string(),
        "--lock-file",
        (dir_ / "virtctl.lock").string(),
        "--health-address",
        "127.0.0.1:0",
        "--resync-period",
        "2s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  void startVirtctl(const std::vector<std::string>& extra = {}) {
    ++starts_;
    ASSERT_TRUE(virtctl_.start(virtctlArgv(extra), {},
                               (dir_ / fmt::format("virtctl-{}.out", starts_)).string(),
                               (dir_ / fmt::format("virtctl-{}.err", starts_)).string()));
  }

  void stopVirtctl(int signal) {
    if (virtctl_.running()) {
      virtctl_.stop(signal);
    }
  }

  std::string virtctlLog() const {
    return univirt::testing::readWholeFile(
        (dir_ / fmt::format("virtctl-{}.err", starts_)).string());
  }

  // An upstream example with only name, node, namespace, paths and bridge adapted.
  nlohmann::json example(const std::string& file, const std::string& name) {
    nlohmann::json request = readJson(examplePath(file));
    request["metadata"]["name"] = name;
    request["metadata"]["namespace"] = ns_;
    request["metadata"]["labels"]["host"] = kNode;
    request["spec"]["nodeName"] = kNode;
    return request;
  }

  std::string adaptPath(const std::string& upstream) const {
    // /var/lib/libvirt/... -> <dir>/...
    const std::string prefix = "/var/lib/libvirt/";
    return (dir_ / upstream.substr(upstream.rfind(prefix, 0) == 0 ? prefix.size() : 1)).string();
  }

  void qcow2(const std::string& path, const std::string& size = "64M") const {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    auto made = runProcess({"/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", path, size});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }

  void apply(const nlohmann::json& request) {
    auto applied = server_->kubectl({"apply", "-f", "-"}, {}, request.dump());
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }

  // Waits for the outcome of `operation` on `name` (lastOperation finished, marker gone).
  kube::Object waitForOutcome(const std::string& name, const std::string& operation,
                              std::chrono::seconds timeout = 90s) {
    kube::Object last;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = client_->get(kVirtualMachines, {ns_, name});
      if (got.has_value()) {
        last = *got;
        const auto op = last.value("status", nlohmann::json::object())
                            .value("lastOperation", nlohmann::json::object());
        const bool marked = last["metadata"]
                                .value("annotations", nlohmann::json::object())
                                .contains(std::string(lifecycle::kOperationAnnotation));
        if (op.value("name", "") == operation && op.value("phase", "Running") != "Running" &&
            !marked) {
          return last;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "no outcome of " << operation << " on " << name << ": " << last.dump()
                  << "\nvirtctl log:\n"
                  << virtctlLog();
    return last;
  }

  // Waits until the take is visible: the marker annotation of `operation` is on the object.
  bool waitForTake(const std::string& name, const std::string& operation) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = client_->get(kVirtualMachines, {ns_, name});
      if (got.has_value()) {
        if (auto marker = lifecycle::markerOf(*got);
            marker.has_value() && marker->has_value() && (*marker)->operation == operation) {
          return true;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::vector<std::string> eventNotes(const std::string& name, const std::string& operation) {
    std::vector<std::string> notes;
    auto list = client_->list(kEvents, ns_);
    if (list.has_value()) {
      for (const auto& event : list->items) {
        if (event["regarding"].value("name", "") == name &&
            event.value("reason", "") == operation) {
          notes.push_back(event.value("note", ""));
        }
      }
    }
    return notes;
  }

  std::string powerstate(const kube::Object& object) const {
    return object["spec"].value("powerstate", "");
  }

  std::string domainXml(const std::string& name, unsigned int flags = 0) {
    auto domain = observer_->lookupDomain(name);
    return domain.has_value() ? domain->xml(flags).value_or("") : std::string();
  }

  bool domainActive(const std::string& name) {
    auto domain = observer_->lookupDomain(name);
    return domain.has_value() && domain->isActive().value_or(false);
  }

  // Creates `name` from the CreateVMFromISO example and waits until it runs.
  void createFromExample(const std::string& name) {
    nlohmann::json request = example("VM-CreateVMFromISO.json", name);
    auto& params = request["spec"]["lifecycle"]["createAndStartVMFromISO"];
    const std::string iso = adaptPath(params["cdrom"].get<std::string>());
    std::filesystem::create_directories(std::filesystem::path(iso).parent_path());
    std::ofstream(iso).put('\0');
    params["cdrom"] = iso;
    const std::string disk_spec = params["disk"].get<std::string>();
    const std::string disk = adaptPath(disk_spec.substr(0, disk_spec.find(',')));
    qcow2(disk);
    params["disk"] = disk + disk_spec.substr(disk_spec.find(','));
    params["network"] = fmt::format("type=bridge,source={}", bridge_);
    domains_.push_back(name);
    apply(request);
    kube::Object created = waitForOutcome(name, "createAndStartVMFromISO", 180s);
    ASSERT_EQ(created["status"]["lastOperation"]["phase"], "Succeeded") << created.dump();
    ASSERT_EQ(powerstate(created), "Running");
  }

  static inline KubeLiteProcess* server_ = nullptr;
  static inline bool shared_ready_ = false;
  static inline std::string bridge_;
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string ns_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<virt::Connection> observer_;
  BackgroundProcess virtctl_;
  int starts_ = 0;
  std::vector<std::string> domains_;
};

TEST_F(VirtctlDaemonTest, UpstreamExamplesDriveAVirtualMachineThroughItsLife) {
  startVirtctl();
  const std::string name = fmt::format("uvt-ex-{}", ::getpid());
  createFromExample(name);
  {
    kube::Object created = waitForOutcome(name, "createAndStartVMFromISO");
    // The example asks for kvm; without /dev/kvm the node's fallback makes it qemu, and says so.
    if (::access("/dev/kvm", R_OK | W_OK) == 0) {
      EXPECT_EQ(created["spec"]["domain"]["_type"], "kvm");
    } else {
      EXPECT_EQ(created["spec"]["domain"]["_type"], "qemu");
      EXPECT_THAT(created["status"]["lastOperation"]["message"].get<std::string>(),
                  HasSubstr("qemu"));
    }
    EXPECT_TRUE(domainActive(name));
    const std::string xml = domainXml(name);
    EXPECT_THAT(xml, HasSubstr(bridge_));
    EXPECT_THAT(xml, HasSubstr("disktest.qcow2"));
    EXPECT_EQ(eventNotes(name, "createAndStartVMFromISO").size(), 2U);
  }

  apply(example("VM-StopVMForce.json", name));
  EXPECT_EQ(powerstate(waitForOutcome(name, "stopVMForce")), "Shutdown");
  EXPECT_FALSE(domainActive(name));

  apply(example("VM-StartVM.json", name));
  EXPECT_EQ(powerstate(waitForOutcome(name, "startVM")), "Running");
  EXPECT_TRUE(domainActive(name));

  apply(example("VM-RebootVM.json", name));
  EXPECT_EQ(waitForOutcome(name, "rebootVM")["status"]["lastOperation"]["phase"], "Succeeded");

  {
    nlohmann::json plug = example("VM-PlugDisk.json", name);
    const std::string source = adaptPath(plug["spec"]["lifecycle"]["plugDisk"]["source"]);
    qcow2(source);
    plug["spec"]["lifecycle"]["plugDisk"]["source"] = source;
    apply(plug);
    kube::Object plugged = waitForOutcome(name, "plugDisk");
    EXPECT_EQ(plugged["status"]["lastOperation"]["phase"], "Succeeded") << plugged.dump();
    EXPECT_THAT(domainXml(name), HasSubstr("dev='vdb'"));

    nlohmann::json unplug = example("VM-UnPlugDisk.json", name);
    unplug["spec"]["lifecycle"]["unplugDisk"]["source"] = source;
    apply(unplug);
    kube::Object unplugged = waitForOutcome(name, "unplugDisk");
    EXPECT_EQ(unplugged["status"]["lastOperation"]["phase"], "Succeeded") << unplugged.dump();
    // A firmware-only guest never acknowledges a live unplug, so the running domain keeps the
    // disk until it stops; the definition loses it at once.
    EXPECT_THAT(domainXml(name, VIR_DOMAIN_XML_INACTIVE), ::testing::Not(HasSubstr("dev='vdb'")));
  }

  {
    nlohmann::json migrate = example("VM-MigrateVM.json", name);
    migrate["spec"]["lifecycle"]["migrateVM"]["ip"] = "127.0.0.1";
    apply(migrate);
    kube::Object refused = waitForOutcome(name, "migrateVM");
    // Migrating to this very host cannot work; the failure must say so, not hang or vanish.
    EXPECT_EQ(refused["status"]["lastOperation"]["phase"], "Failed");
    EXPECT_FALSE(refused["spec"]["status"]["conditions"]["state"]["waiting"]["message"]
                     .get<std::string>()
                     .empty());
    EXPECT_TRUE(domainActive(name));
  }

  apply(example("VM-StopVM.json", name));
  EXPECT_EQ(waitForOutcome(name, "stopVM")["status"]["lastOperation"]["phase"], "Succeeded");

  apply(example("VM-DeleteVM.json", name));
  bool gone = false;
  for (int i = 0; i < 600 && !gone; ++i) {
    auto got = client_->get(kVirtualMachines, {ns_, name});
    gone = !got.has_value() && got.error().code == util::ErrorCode::NotFound;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(gone) << virtctlLog();
  EXPECT_FALSE(observer_->lookupDomain(name).has_value());
}

TEST_F(VirtctlDaemonTest, KillNineAfterTheHandlerRanIsSettledAsDoneWithoutRunningAgain) {
  startVirtctl();
  const std::string name = fmt::format("uvt-crash1-{}", ::getpid());
  createFromExample(name);
  stopVirtctl(SIGTERM);

  startVirtctl({"--debug-pause-before-outcome", "60s"});
  apply(example("VM-StopVMForce.json", name));
  ASSERT_TRUE(waitForTake(name, "stopVMForce"));
  for (int i = 0; i < 300 && domainActive(name); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(domainActive(name)) << "the handler did not run";
  stopVirtctl(SIGKILL);  // between the handler and the outcome write

  startVirtctl();
  kube::Object settled = waitForOutcome(name, "stopVMForce");
  EXPECT_EQ(settled["status"]["lastOperation"]["phase"], "Succeeded") << settled.dump();
  EXPECT_THAT(settled["status"]["lastOperation"]["message"].get<std::string>(),
              HasSubstr("settled"));
  EXPECT_EQ(powerstate(settled), "Shutdown");
  std::this_thread::sleep_for(3s);  // two resync periods: nothing runs it again
  const auto notes = eventNotes(name, "stopVMForce");
  EXPECT_EQ(std::count_if(notes.begin(), notes.end(),
                          [](const std::string& n) { return n.find("status:Doing") != n.npos; }),
            1);
  EXPECT_EQ(std::count_if(notes.begin(), notes.end(),
                          [](const std::string& n) { return n.find("status:Done") != n.npos; }),
            1);
}

TEST_F(VirtctlDaemonTest, KillNineBeforeTheHandlerRanIsSettledAsNotDoneAndNotRerun) {
  startVirtctl();
  const std::string name = fmt::format("uvt-crash2-{}", ::getpid());
  createFromExample(name);
  apply(example("VM-StopVMForce.json", name));
  ASSERT_EQ(powerstate(waitForOutcome(name, "stopVMForce")), "Shutdown");
  stopVirtctl(SIGTERM);

  startVirtctl({"--debug-pause-after-take", "60s"});
  apply(example("VM-StartVM.json", name));
  ASSERT_TRUE(waitForTake(name, "startVM"));
  stopVirtctl(SIGKILL);  // taken, not run

  startVirtctl();
  kube::Object settled = waitForOutcome(name, "startVM");
  EXPECT_EQ(settled["status"]["lastOperation"]["phase"], "Failed") << settled.dump();
  EXPECT_THAT(
      settled["spec"]["status"]["conditions"]["state"]["waiting"]["message"].get<std::string>(),
      HasSubstr("not re-run"));
  std::this_thread::sleep_for(3s);
  EXPECT_FALSE(domainActive(name));
}

TEST_F(VirtctlDaemonTest, HostileParametersNeverReachAShell) {
  startVirtctl();
  const std::filesystem::path canary = dir_ / "CANARY";
  const std::string touch = "touch " + canary.string();
  const std::vector<std::string> hostile = {"; " + touch, "$(" + touch + ")", "`" + touch + "`",
                                            "x\n" + touch, "| " + touch};
  int n = 0;
  for (const auto& value : hostile) {
    const std::string name = fmt::format("uvt-hostile-{}-{}", ::getpid(), ++n);
    nlohmann::json request = example("VM-CreateVMFromISO.json", name);
    auto& params = request["spec"]["lifecycle"]["createAndStartVMFromISO"];
    params["virt_type"] = "qemu";
    params["memory"] = "128";
    params["os_variant"] = value;
    params["cdrom"] = (dir_ / "missing.iso").string() + value;
    params["disk"] = (dir_ / "d.qcow2").string() + ",format=qcow2" + value;
    params["network"] = fmt::format("type=bridge,source={}{}", bridge_, value);
    params["graphics"] = "vnc,listen=127.0.0.1" + value;
    domains_.push_back(name);
    apply(request);
    kube::Object outcome = waitForOutcome(name, "createAndStartVMFromISO");
    EXPECT_EQ(outcome["status"]["lastOperation"]["phase"], "Failed") << outcome.dump();
  }
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(std::filesystem::exists(canary));
}

TEST_F(VirtctlDaemonTest, ASecondVirtctlOnTheNodeExitsWithAClearError) {
  startVirtctl();
  std::this_thread::sleep_for(500ms);
  auto second = runProcess(virtctlArgv({}), {}, "", 30s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("already running"));
}

TEST(VirtctlBinary, HelpListsEveryOperationWithItsParameters) {
  auto help =
      runProcess({std::string(UNIVIRT_BINARY_DIR) + "/daemons/virtctl/univirt-virtctl", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* key : {"createAndStartVMFromISO", "startVM", "stopVMForce", "deleteVM",
                          "migrateVM", "plugDisk", "changeNumberOfCPU", "setGuestPassword"}) {
    EXPECT_THAT(help.out, HasSubstr(key));
  }
  EXPECT_THAT(help.out, HasSubstr("os_variant"));
  EXPECT_THAT(help.out, HasSubstr("--libvirt-uri"));
}

}  // namespace
}  // namespace univirt::virtctl
