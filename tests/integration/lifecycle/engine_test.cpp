// The lifecycle engine against a real kube-lite process, with a small table of test
// operations whose handlers have effects a test can see (files). What is checked is the
// protocol of design.md "Contracts": refusal before anything runs, the one conditional take,
// the outcome and Events, exactly-once across a crash, per-object order.

#include "core/lifecycle/engine.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/lifecycle/object_status.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::lifecycle {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
const kube::ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
const kube::ResourceRef kEvents{"events.k8s.io", "v1", "events", true};
constexpr const char* kNode = "node-a";

kube::Object freeFormCrd() {
  return nlohmann::json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "virtualmachines.doslab.io"},
    "spec": {"group": "doslab.io", "scope": "Namespaced",
      "names": {"plural": "virtualmachines", "singular": "virtualmachine",
                "kind": "VirtualMachine", "shortNames": ["vm"]},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object",
                                       "x-kubernetes-preserve-unknown-fields": true}}}]}})");
}

std::string readFile(const std::filesystem::path& path) {
  return univirt::testing::readWholeFile(path.string());
}

// Test operations. Their effects are files under `root`, so the test sees whether and how
// often a handler ran.
struct TestOperations {
  std::filesystem::path root;
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<std::string> timeline;  // "start <name>", "end <name>"

  void add(OperationTable& table) {
    table.add(OperationSpec{
        .kind = "VirtualMachine",
        .key = "touchFile",
        .name_field = "domain",
        .params = {ParamSpec{.name = "path", .type = ParamType::Path, .required = true},
                   ParamSpec{.name = "text", .type = ParamType::String}},
        .summary = "writes text to a file",
        .handler = [this](const Invocation& invocation) -> util::Result<Outcome> {
          ++calls;
          std::ofstream(invocation.params.string("path")) << invocation.params.string("text");
          return Outcome{.message = "", .object_deleted = false, .spec_fields = nullptr};
        },
        .refresh = [](const Invocation& invocation) -> util::Result<Refreshed> {
          Refreshed refreshed;
          refreshed.spec_fields = {{"touched", invocation.params.string("path")}};
          return refreshed;
        },
        .settle = [](const Invocation& invocation) -> util::Result<Settlement> {
          return std::filesystem::exists(invocation.params.string("path"))
                     ? Settlement::TookEffect
                     : Settlement::DidNotTakeEffect;
        },
        .test_tier = TestTier::NotLibvirt});
    table.add(OperationSpec{.kind = "VirtualMachine",
                            .key = "failWithLibvirt",
                            .name_field = "domain",
                            .params = {},
                            .summary = "fails like libvirt",
                            .handler = [this](const Invocation&) -> util::Result<Outcome> {
                              ++calls;
                              return util::Error{
                                  util::ErrorCode::NotFound,
                                  "starting domain 'x': libvirt error from 'domain': no domain"};
                            },
                            .test_tier = TestTier::NotLibvirt});
    table.add(OperationSpec{
        .kind = "VirtualMachine",
        .key = "slowStep",
        .name_field = "domain",
        .params = {ParamSpec{.name = "ms", .type = ParamType::Integer, .min = 0, .max = 5000},
                   ParamSpec{.name = "tag", .type = ParamType::String}},
        .summary = "takes a while",
        .handler = [this](const Invocation& invocation) -> util::Result<Outcome> {
          ++calls;
          const std::string tag = invocation.name + ":" + invocation.params.string("tag");
          {
            std::lock_guard lock(mu);
            timeline.push_back("start " + tag);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(invocation.params.integer("ms")));
          std::lock_guard lock(mu);
          timeline.push_back("end " + tag);
          return Outcome{};
        },
        .test_tier = TestTier::NotLibvirt});
    table.add(OperationSpec{.kind = "VirtualMachine",
                            .key = "deleteIt",
                            .name_field = "domain",
                            .params = {},
                            .summary = "deletes the object",
                            .handler = [this](const Invocation&) -> util::Result<Outcome> {
                              ++calls;
                              return Outcome{.message = "", .object_deleted = true};
                            },
                            .test_tier = TestTier::NotLibvirt});
  }
};

class LifecycleEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new univirt::testing::KubeLiteProcess();
    ASSERT_TRUE(server_->start()) << server_->lastError();
    auto client = kube::testing::clientFor(*server_);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    ASSERT_TRUE((*client)->create(kCrds, freeFormCrd()).has_value());
    // The CRD is served once its kinds are listable.
    for (int i = 0; i < 100 && !(*client)->list(kVirtualMachines, "default").has_value(); ++i) {
      std::this_thread::sleep_for(50ms);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            fmt::format("engine-{}-{}", ::getpid(), counter_++);
    std::filesystem::create_directories(root_);
    operations_.root = root_;
    operations_.add(table_);
    auto client = kube::testing::clientFor(*server_);
    ASSERT_TRUE(client.has_value());
    client_ = std::move(*client);
    ns_ = fmt::format("engine-{}", counter_);
    ASSERT_TRUE(
        client_
            ->create(kube::ResourceRef{"", "v1", "namespaces", false},
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}})
            .has_value());
  }
  void TearDown() override {
    if (engine_) {
      engine_->stop();
    }
    std::filesystem::remove_all(root_);
  }

  void startEngine(std::size_t workers = 2) {
    EngineOptions options{.node_name = kNode,
                          .namespace_name = ns_,
                          .workers = workers,
                          .validation = {.path_roots = {root_.string()}}};
    engine_ = std::make_unique<LifecycleEngine>(
        *client_, table_,
        std::vector<WatchedKind>{
            {.kind = "VirtualMachine", .resource = kVirtualMachines, .on_deleted = {}}},
        options);
    engine_->start();
    ASSERT_TRUE(engine_->waitForSync(20s));
  }

  kube::Object vm(const std::string& name, const nlohmann::json& lifecycle,
                  const std::string& host = kNode) {
    kube::Object object = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", "VirtualMachine"},
        {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", {{"host", host}}}}},
        {"spec", {{"nodeName", host}, {"image", "kept"}}}};
    if (!lifecycle.is_null()) {
      object["spec"]["lifecycle"] = lifecycle;
    }
    return object;
  }

  kube::Object create(const kube::Object& object) {
    auto created = client_->create(kVirtualMachines, object);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(kube::Object{});
  }

  // Waits until the object's lastOperation has finished (any phase but Running).
  kube::Object waitForOutcome(const std::string& name, const std::string& operation) {
    kube::Object last;
    for (int i = 0; i < 400; ++i) {
      auto got = client_->get(kVirtualMachines, {ns_, name});
      if (got.has_value()) {
        last = *got;
        const auto& status = last.value("status", nlohmann::json::object());
        const auto& op = status.value("lastOperation", nlohmann::json::object());
        if (op.value("name", "") == operation && op.value("phase", "") != "Running" &&
            !last["metadata"]
                 .value("annotations", nlohmann::json::object())
                 .contains(std::string(kOperationAnnotation))) {
          return last;
        }
      }
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "no outcome for " << name << " " << operation << ": " << last.dump();
    return last;
  }

  std::vector<kube::Object> eventsAbout(const std::string& name) {
    std::vector<kube::Object> out;
    auto list = client_->list(kEvents, ns_);
    if (list.has_value()) {
      for (const auto& event : list->items) {
        if (event["regarding"].value("name", "") == name) {
          out.push_back(event);
        }
      }
    }
    return out;
  }

  static inline univirt::testing::KubeLiteProcess* server_ = nullptr;
  static inline int counter_ = 0;
  std::filesystem::path root_;
  TestOperations operations_;
  OperationTable table_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<LifecycleEngine> engine_;
  std::string ns_;
};

TEST_F(LifecycleEngineTest, RunsARequestOnceAndWritesTheOutcomeInUpstreamAndStatusPlaces) {
  startEngine();
  const std::string path = (root_ / "out.txt").string();
  create(vm("vm1", {{"touchFile", {{"path", path}, {"text", "hello"}}}}));

  kube::Object done = waitForOutcome("vm1", "touchFile");
  EXPECT_EQ(readFile(path), "hello");
  EXPECT_EQ(operations_.calls.load(), 1);
  EXPECT_FALSE(done["spec"].contains("lifecycle"));
  EXPECT_EQ(done["spec"]["touched"], path);
  EXPECT_EQ(done["spec"]["image"], "kept");  // additive: user fields survive the refresh
  EXPECT_EQ(done["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Ready");
  EXPECT_TRUE(done["spec"]["description"]["lastOperationTimeStamp"].is_number_integer());
  EXPECT_EQ(done["status"]["lastOperation"]["phase"], "Succeeded");
  EXPECT_EQ(done["status"]["phase"], "Succeeded");

  engine_->waitIdle();
  const auto events = eventsAbout("vm1");
  ASSERT_EQ(events.size(), 2U);
  std::vector<std::string> notes;
  for (const auto& event : events) {
    EXPECT_EQ(event["reason"], "touchFile");
    EXPECT_EQ(event["type"], "Normal");
    EXPECT_EQ(event["reportingController"], "Virtctl");
    notes.push_back(event["note"].get<std::string>());
  }
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr(
                         "type:VirtualMachine, name:vm1, operation:touchFile, status:Doing, "
                         "reporter:Virtctl, eventId:-1")));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("status:Done")));
  // The take, the outcome and two Events: four writes at most.
  EXPECT_EQ(engine_->stats().api_writes, 4);
}

TEST_F(LifecycleEngineTest, RefusesBadRequestsBeforeAnythingRuns) {
  startEngine();
  struct Case {
    std::string name;
    nlohmann::json lifecycle;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"unknown-op", {{"fooVM", nlohmann::json::object()}}, "fooVM"},
      {"unknown-param",
       {{"touchFile", {{"path", (root_ / "x").string()}, {"colour", "red"}}}},
       "colour"},
      {"outside-roots", {{"touchFile", {{"path", "/etc/passwd"}}}}, "path"},
      {"missing-param", {{"touchFile", nlohmann::json::object()}}, "path"},
      {"two-ops",
       {{"touchFile", {{"path", (root_ / "y").string()}}}, {"slowStep", {{"ms", 1}}}},
       "slowStep"},
      {"mistyped", {{"slowStep", {{"ms", "fast"}}}}, "ms"},
  };
  for (const auto& c : cases) {
    create(vm(c.name, c.lifecycle));
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    kube::Object refused;
    for (int i = 0; i < 400; ++i) {
      refused = client_->get(kVirtualMachines, {ns_, c.name}).value_or(kube::Object{});
      if (!refused["spec"].contains("lifecycle")) {
        break;
      }
      std::this_thread::sleep_for(25ms);
    }
    ASSERT_FALSE(refused["spec"].contains("lifecycle")) << refused.dump();
    const auto& waiting = refused["spec"]["status"]["conditions"]["state"]["waiting"];
    EXPECT_EQ(waiting["reason"], "Exception");
    EXPECT_THAT(waiting["message"].get<std::string>(), HasSubstr(c.message_part));
    EXPECT_EQ(refused["status"]["lastOperation"]["phase"], "Failed");
  }
  engine_->waitIdle();
  EXPECT_EQ(operations_.calls.load(), 0);
  EXPECT_FALSE(std::filesystem::exists(root_ / "x"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "y"));
  const auto events = eventsAbout("unknown-param");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0]["type"], "Warning");
  EXPECT_THAT(events[0]["note"].get<std::string>(), HasSubstr("colour"));
}

TEST_F(LifecycleEngineTest, StoresShellMetacharactersLiterallyAndRunsNoShell) {
  startEngine();
  const std::filesystem::path canary = root_ / "CANARY";
  const std::string hostile =
      fmt::format("; touch {0} $(touch {0}) `touch {0}` | touch {0} && touch {0}", canary.string());
  const std::string path = (root_ / "literal.txt").string();
  create(vm("hostile", {{"touchFile", {{"path", path}, {"text", hostile}}}}));
  waitForOutcome("hostile", "touchFile");
  EXPECT_EQ(readFile(path), hostile);
  EXPECT_FALSE(std::filesystem::exists(canary));

  create(vm("hostile-path", {{"touchFile", {{"path", path + "; touch " + canary.string()}}}}));
  kube::Object done = waitForOutcome("hostile-path", "touchFile");
  EXPECT_FALSE(std::filesystem::exists(canary));
  // A newline is refused rather than stored: values are logged and shown in tables.
  create(vm("hostile-newline", {{"touchFile", {{"path", path}, {"text", "a\nb"}}}}));
  kube::Object refused = waitForOutcome("hostile-newline", "touchFile");
  EXPECT_EQ(refused["status"]["lastOperation"]["phase"], "Failed");
  EXPECT_FALSE(std::filesystem::exists(canary));
}

TEST_F(LifecycleEngineTest, ReportsLibvirtFailuresWithUpstreamReasonAndWarningEvent) {
  startEngine();
  create(vm("broken", {{"failWithLibvirt", nlohmann::json::object()}}));
  kube::Object failed = waitForOutcome("broken", "failWithLibvirt");
  const auto& waiting = failed["spec"]["status"]["conditions"]["state"]["waiting"];
  EXPECT_EQ(waiting["reason"], "LibvirtError");
  EXPECT_THAT(waiting["message"].get<std::string>(), HasSubstr("no domain"));
  EXPECT_EQ(failed["status"]["lastOperation"]["phase"], "Failed");
  engine_->waitIdle();
  const auto events = eventsAbout("broken");
  ASSERT_EQ(events.size(), 2U);
  int warnings = 0;
  for (const auto& event : events) {
    warnings += event["type"] == "Warning" ? 1 : 0;
  }
  EXPECT_EQ(warnings, 1);
}

TEST_F(LifecycleEngineTest, IgnoresObjectsOfOtherNodes) {
  startEngine();
  const std::string path = (root_ / "other.txt").string();
  create(vm("elsewhere", {{"touchFile", {{"path", path}}}}, "node-b"));
  const std::string mine = (root_ / "mine.txt").string();
  create(vm("here", {{"touchFile", {{"path", mine}}}}));
  waitForOutcome("here", "touchFile");
  engine_->waitIdle();
  EXPECT_FALSE(std::filesystem::exists(path));
  auto other = client_->get(kVirtualMachines, {ns_, "elsewhere"});
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE((*other)["spec"].contains("lifecycle"));
}

TEST_F(LifecycleEngineTest, SettlesARequestACrashedVirtctlTookWithoutRunningItAgain) {
  const std::string done_path = (root_ / "done.txt").string();
  std::ofstream(done_path) << "written before the crash";
  const std::string lost_path = (root_ / "lost.txt").string();
  // What a virtctl killed between take and outcome leaves behind: the marker, no lifecycle.
  for (const auto& [name, path] : {std::pair{"took-effect", done_path}, {"lost", lost_path}}) {
    kube::Object object = vm(name, nullptr);
    markTaken(object, RequestMarker{.operation = "touchFile",
                                    .id = fmt::format("crashed-{}", name),
                                    .taken_at = "2026-11-27T00:00:00Z",
                                    .node = kNode,
                                    .request = {{"path", path}, {"text", "again"}}});
    create(object);
  }
  startEngine();
  kube::Object settled = waitForOutcome("took-effect", "touchFile");
  EXPECT_EQ(settled["status"]["lastOperation"]["phase"], "Succeeded");
  EXPECT_THAT(settled["status"]["lastOperation"]["message"].get<std::string>(),
              HasSubstr("settled"));
  kube::Object lost = waitForOutcome("lost", "touchFile");
  EXPECT_EQ(lost["status"]["lastOperation"]["phase"], "Failed");
  EXPECT_THAT(
      lost["spec"]["status"]["conditions"]["state"]["waiting"]["message"].get<std::string>(),
      HasSubstr("not re-run"));
  engine_->waitIdle();
  EXPECT_EQ(operations_.calls.load(), 0);
  EXPECT_EQ(readFile(done_path), "written before the crash");
  EXPECT_FALSE(std::filesystem::exists(lost_path));
}

TEST_F(LifecycleEngineTest, RunsRequestsForOneObjectInOrderAndOthersInParallel) {
  startEngine(/*workers=*/2);
  create(vm("a", {{"slowStep", {{"ms", 300}, {"tag", "1"}}}}));
  create(vm("b", {{"slowStep", {{"ms", 300}, {"tag", "1"}}}}));
  waitForOutcome("a", "slowStep");
  // A second request for `a`, submitted as a user would: a new spec.lifecycle.
  auto a = client_->get(kVirtualMachines, {ns_, "a"});
  ASSERT_TRUE(a.has_value());
  (*a)["spec"]["lifecycle"] = {{"slowStep", {{"ms", 10}, {"tag", "2"}}}};
  ASSERT_TRUE(client_->update(kVirtualMachines, *a).has_value());
  waitForOutcome("b", "slowStep");
  for (int i = 0; i < 400 && operations_.calls.load() < 3; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  engine_->waitIdle();
  std::vector<std::string> timeline;
  {
    std::lock_guard lock(operations_.mu);
    timeline = operations_.timeline;
  }
  auto at = [&](const std::string& entry) {
    return std::find(timeline.begin(), timeline.end(), entry) - timeline.begin();
  };
  ASSERT_EQ(timeline.size(), 6U) << ::testing::PrintToString(timeline);
  // a and b overlapped (two workers); a:2 started only after a:1 ended.
  EXPECT_LT(at("start b:1"), at("end a:1"));
  EXPECT_LT(at("start a:1"), at("end b:1"));
  EXPECT_GT(at("start a:2"), at("end a:1"));
}

TEST_F(LifecycleEngineTest, DeletesTheObjectWhenTheOperationSaysSo) {
  startEngine();
  create(vm("doomed", {{"deleteIt", nlohmann::json::object()}}));
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    auto got = client_->get(kVirtualMachines, {ns_, "doomed"});
    gone = !got.has_value() && got.error().code == util::ErrorCode::NotFound;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_TRUE(gone);
  engine_->waitIdle();
  EXPECT_EQ(operations_.calls.load(), 1);
  EXPECT_EQ(eventsAbout("doomed").size(), 2U);
}

}  // namespace
}  // namespace univirt::lifecycle
