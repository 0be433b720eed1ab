#pragma once

// A DomainWatcher as the daemon runs it — EventLoop, ReconnectingConnection, kube client — in
// this process, against a real kube-lite (one per test binary, with the VirtualMachine CRD) and
// a libvirt URI (test:///default, or the real libvirtd). Each test gets its own namespace, which
// is both the watcher's namespace and the home namespace of domains defined outside univirt.

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/virt/connection.h"
#include "core/virt/event_loop.h"
#include "core/virt/reconnecting_connection.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "libvirtwatcher/domain_watcher.h"

namespace univirt::libvirtwatcher::testing {

inline const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
inline const kube::ResourceRef kCoreEvents{"", "v1", "events", true};
inline constexpr const char* kNode = "watcher-node";

// The kube-lite of this test binary (started on first use, stopped at exit).
univirt::testing::KubeLiteProcess& kubeLite();

class WatcherHarness {
 public:
  // `uri` is what the watcher opens; `observer_uri` what the test changes domains through.
  WatcherHarness(const std::string& uri, const std::string& observer_uri, WatcherOptions options);
  ~WatcherHarness();
  WatcherHarness(const WatcherHarness&) = delete;
  WatcherHarness& operator=(const WatcherHarness&) = delete;

  static WatcherOptions defaultOptions();

  // Starts the connection and the watcher; true once subscribed.
  bool start();
  void stopWatcher();

  DomainWatcher& watcher() { return *watcher_; }
  virt::ReconnectingConnection& libvirt() { return *libvirt_; }
  virt::Connection& observer() { return *observer_; }
  // The test's own requests (setup, assertions).
  kube::Client& client() { return *client_; }
  // The watcher's: identifies as univirt-libvirtwatcher/..., for a DomainWatcher a test builds.
  kube::Client& daemonClient() { return *daemon_client_; }
  const std::string& ns() const { return ns_; }

  // Applies a VirtualMachine named `name` labelled host=`host` with `extra` merged into it.
  void createVm(const std::string& name, const std::string& host = kNode,
                const nlohmann::json& extra = nlohmann::json::object());
  kube::Object getVm(const std::string& name);
  // Polls the object until `done` holds or 20 s pass; returns the last object read.
  kube::Object waitVm(const std::string& name,
                      const std::function<bool(const kube::Object&)>& done);
  static std::string powerstate(const kube::Object& vm);
  // The core/v1 Events about `name` in the test namespace.
  std::vector<kube::Object> eventsFor(const std::string& name);

  // Domains destroyed and undefined at the end.
  void cleanUpDomain(const std::string& name) { domains_.insert(name); }

 private:
  std::string ns_;
  std::unique_ptr<kube::Client> client_;
  // The watcher's own client as the daemon, so kube-lite's audit log counts its requests as
  // libvirtwatcher's (tests/system/rbac); the test's requests go through client_.
  std::unique_ptr<kube::Client> daemon_client_;
  std::unique_ptr<virt::EventLoop> loop_;
  std::unique_ptr<virt::ReconnectingConnection> libvirt_;
  std::unique_ptr<DomainWatcher> watcher_;
  std::unique_ptr<virt::Connection> observer_;
  std::set<std::string> domains_;
};

// The watcher's metrics in the Prometheus text format, as /metrics serves them.
std::string scrape(DomainWatcher& watcher);
// The value of `series` (name with labels, exactly as printed) in `text`; -1 when absent.
double metricValue(const std::string& text, const std::string& series);

// Object names must be lower-case (RFC 1123); test names are not.
std::string lowerCase(std::string text);

// Waits until `done` holds, polling every 10 ms, at most `timeout`.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace univirt::libvirtwatcher::testing
