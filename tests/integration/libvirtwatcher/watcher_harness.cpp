#include "integration/libvirtwatcher/watcher_harness.h"

#include <atomic>
#include <cctype>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include "core/util/check.h"
#include "integration/kube_client/kube_lite_client.h"

namespace univirt::libvirtwatcher::testing {
namespace {

std::atomic<int> counter{0};

}  // namespace

univirt::testing::KubeLiteProcess& kubeLite() {
  // One server per test process, stopped when the process exits (a leaked pointer left one
  // kube-lite running per test binary run).
  static const std::unique_ptr<univirt::testing::KubeLiteProcess> kServer = [] {
    auto started = std::make_unique<univirt::testing::KubeLiteProcess>();
    UNIVIRT_CHECK(started->start(), "kube-lite starts for the libvirtwatcher tests");
    auto applied = started->kubectl(
        {"apply", "-f", std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachine.yaml"});
    UNIVIRT_CHECK(applied.exit_code == 0, "the VirtualMachine CRD applies");
    auto established = started->kubectl(
        {"wait", "--for=condition=Established", "--timeout=30s", "crd/virtualmachines.doslab.io"});
    UNIVIRT_CHECK(established.exit_code == 0, "the VirtualMachine CRD is established");
    return started;
  }();
  return *kServer;
}

WatcherOptions WatcherHarness::defaultOptions() {
  WatcherOptions options;
  options.sync.node_name = kNode;
  options.sync.ha_max_tries = 3;
  options.sync.ha_retry_delay = std::chrono::milliseconds(100);
  options.workers = 2;
  options.coalesce_window = std::chrono::milliseconds(50);
  // Never the node's real /var/lib/libvirt/devices: tests that check the move set their own.
  options.sync.devices_dir.clear();
  return options;
}

WatcherHarness::WatcherHarness(const std::string& uri, const std::string& observer_uri,
                               WatcherOptions options) {
  ns_ = fmt::format("lvw-{}-{}", ::getpid() % 100000, ++counter);
  auto created = kubeLite().kubectl({"create", "namespace", ns_});
  UNIVIRT_CHECK(created.exit_code == 0, "the test namespace is created");
  auto client = kube::testing::clientFor(kubeLite());
  UNIVIRT_CHECK(client.has_value(), "a client for kube-lite");
  client_ = std::move(*client);
  auto daemon_client = kube::testing::daemonClientFor(kubeLite(), "libvirtwatcher");
  UNIVIRT_CHECK(daemon_client.has_value(), "a client for kube-lite as libvirtwatcher");
  daemon_client_ = std::move(*daemon_client);
  UNIVIRT_CHECK(virt::EventLoop::registerDefaultImpl().has_value(), "libvirt event loop");
  loop_ = std::make_unique<virt::EventLoop>();
  UNIVIRT_CHECK(loop_->start().has_value(), "the event loop starts");
  auto observer = virt::Connection::open(observer_uri);
  UNIVIRT_CHECK(observer.has_value(), "the observer connection opens");
  observer_ = std::make_unique<virt::Connection>(std::move(*observer));
  options.sync.namespace_name = ns_;
  options.sync.home_namespace = ns_;
  libvirt_ = std::make_unique<virt::ReconnectingConnection>(virt::ReconnectOptions{.uri = uri},
                                                            *loop_, util::Clock::real());
  watcher_ = std::make_unique<DomainWatcher>(*daemon_client_, *libvirt_, options);
}

WatcherHarness::~WatcherHarness() {
  for (const auto& name : domains_) {
    if (auto domain = observer_->lookupDomain(name); domain.has_value()) {
      (void)domain->destroy();
      (void)domain->undefine();
    }
  }
  watcher_->stop();
  libvirt_->stop();
  watcher_.reset();
  libvirt_.reset();
  observer_.reset();
  loop_->stop();
  (void)kubeLite().kubectl({"delete", "namespace", ns_, "--wait=false"});
}

bool WatcherHarness::start() {
  watcher_->start();
  if (!libvirt_->start().has_value()) {
    return false;
  }
  return eventually([&] { return watcher_->ready(); });
}

void WatcherHarness::stopWatcher() { watcher_->stop(); }

void WatcherHarness::createVm(const std::string& name, const std::string& host,
                              const nlohmann::json& extra) {
  nlohmann::json object = {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", {{"host", host}}}}},
      {"spec", {{"nodeName", host}}}};
  object.merge_patch(extra);
  auto created = client_->create(kVirtualMachines, object);
  ASSERT_TRUE(created.has_value()) << created.error().message;
}

kube::Object WatcherHarness::getVm(const std::string& name) {
  auto got = client_->get(kVirtualMachines, {ns_, name});
  return got.has_value() ? *got : kube::Object();
}

kube::Object WatcherHarness::waitVm(const std::string& name,
                                    const std::function<bool(const kube::Object&)>& done) {
  kube::Object last;
  eventually([&] {
    last = getVm(name);
    return !last.is_null() && done(last);
  });
  return last;
}

std::string WatcherHarness::powerstate(const kube::Object& vm) {
  if (!vm.is_object() || !vm.contains("spec")) {
    return {};
  }
  return vm["spec"].value("powerstate", "");
}

std::vector<kube::Object> WatcherHarness::eventsFor(const std::string& name) {
  std::vector<kube::Object> found;
  auto listed = client_->list(kCoreEvents, ns_);
  if (!listed.has_value()) {
    return found;
  }
  for (const auto& event : listed->items) {
    if (event["involvedObject"].value("name", "") == name) {
      found.push_back(event);
    }
  }
  return found;
}

std::string scrape(DomainWatcher& watcher) {
  return prometheus::TextSerializer().Serialize(watcher.registry().Collect());
}

double metricValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const std::size_t end = text.find('\n', at);
      return std::stod(text.substr(at + prefix.size(), end - at - prefix.size()));
    }
    at += prefix.size();
  }
  return -1;
}

std::string lowerCase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace univirt::libvirtwatcher::testing
