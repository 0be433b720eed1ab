// kube_lite_bench: whole-server figures for kube-lite (issue 4):
//   writes/s            sequential creates over one keep-alive HTTPS connection
//   watch events/s      creates fanned out to 10 concurrent watchers
//   create->event p50/p99  from sending a create to a watcher reading its ADDED event
//   RSS                 of this process (server + client) with 10k stored objects
// Usage: kube_lite_bench [objects=10000]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/in_process_kube_lite.h"

namespace kl = univirt::kubelite;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr int kWatchers = 10;
constexpr int kFanoutEvents = 2000;
constexpr int kLatencySamples = 1000;

class Client {
 public:
  Client(int port, const std::string& ca, std::string token) : token_(std::move(token)) {
    Poco::Net::Context::Params params;
    params.caLocation = ca;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    session_ = std::make_unique<Poco::Net::HTTPSClientSession>(
        "127.0.0.1", static_cast<Poco::UInt16>(port), context_);
    session_->setKeepAlive(true);
  }

  int post(const std::string& path, const std::string& body) {
    Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token_);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setKeepAlive(true);
    session_->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_->receiveResponse(resp);
    std::string ignored;
    Poco::StreamCopier::copyToString(in, ignored);
    return resp.getStatus();
  }

  // Streams a watch; calls on_line for every event line until it returns false.
  template <typename F>
  void watch(const std::string& path, F on_line) {
    Poco::Net::HTTPRequest req("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token_);
    session_->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_->receiveResponse(resp);
    std::string line;
    while (std::getline(in, line)) {
      if (!on_line(line)) {
        break;
      }
    }
  }

 private:
  std::string token_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session_;
};

std::string configMap(const std::string& name) {
  return json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"labels", {{"bench", "yes"}}}}},
              {"data", {{"key", "value-" + name}}}}
      .dump();
}

long rssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  int objects = argc > 1 ? std::atoi(argv[1]) : 10000;
  auto server = univirt::bench::InProcessKubeLite::start("kube-lite-bench", 20000);
  if (!server) {
    fmt::print(stderr, "{}\n", server.error().message);
    return 1;
  }
  const int port = (*server)->port();
  const std::string& ca_cert = (*server)->caCertPath();
  const std::string token = (*server)->token();
  kl::Store& store = (*server)->store();
  const std::string base = "/api/v1/namespaces/default/configmaps";

  // 1. Sequential writes.
  Client writer(port, ca_cert, token);
  int writes = std::max(objects - kFanoutEvents - kLatencySamples, 1000);
  auto start = Clock::now();
  for (int i = 0; i < writes; ++i) {
    if (writer.post(base, configMap(fmt::format("w{}", i))) != 201) {
      fmt::print(stderr, "create failed\n");
      return 1;
    }
  }
  double write_secs = seconds(Clock::now() - start);

  // 2. Fan-out to 10 watchers.
  std::atomic<int> ready{0};
  std::atomic<long> received{0};
  std::vector<std::thread> watchers;
  std::string rv = std::to_string(store.currentRv());
  for (int w = 0; w < kWatchers; ++w) {
    watchers.emplace_back([&, w] {
      Client client(port, ca_cert, token);
      int mine = 0;
      ready++;
      client.watch(fmt::format("{}?watch=true&resourceVersion={}", base, rv),
                   [&](const std::string&) {
                     received++;
                     return ++mine < kFanoutEvents;
                   });
      (void)w;
    });
  }
  while (ready.load() < kWatchers) {
    std::this_thread::yield();
  }
  start = Clock::now();
  for (int i = 0; i < kFanoutEvents; ++i) {
    writer.post(base, configMap(fmt::format("f{}", i)));
  }
  for (auto& t : watchers) {
    t.join();
  }
  double fanout_secs = seconds(Clock::now() - start);

  // 3. create -> event latency with one watcher.
  std::mutex mu;
  std::map<std::string, Clock::time_point> sent;
  std::vector<double> latencies;
  std::string rv2 = std::to_string(store.currentRv());
  std::atomic<bool> watching{false};
  std::thread latency_watcher([&] {
    Client client(port, ca_cert, token);
    watching = true;
    client.watch(base + "?watch=true&resourceVersion=" + rv2, [&](const std::string& line) {
      auto now = Clock::now();
      std::string name = json::parse(line)["object"]["metadata"]["name"];
      std::lock_guard lock(mu);
      auto it = sent.find(name);
      if (it != sent.end()) {
        latencies.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
      }
      return latencies.size() < static_cast<size_t>(kLatencySamples);
    });
  });
  while (!watching.load()) {
    std::this_thread::yield();
  }
  for (int i = 0; i < kLatencySamples; ++i) {
    std::string name = fmt::format("l{}", i);
    {
      std::lock_guard lock(mu);
      sent[name] = Clock::now();
    }
    writer.post(base, configMap(name));
  }
  latency_watcher.join();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty()
               ? 0.0
               : latencies[static_cast<size_t>(p * static_cast<double>(latencies.size() - 1))];
  };

  long total = store.currentRv();
  fmt::print("kube-lite bench ({} objects stored, HTTPS, SQLite WAL synchronous=NORMAL)\n", total);
  fmt::print("  writes/s (sequential creates, 1 connection): {:.0f}\n", writes / write_secs);
  fmt::print("  watch events/s ({} watchers x {} creates):  {:.0f}\n", kWatchers, kFanoutEvents,
             kWatchers * kFanoutEvents / fanout_secs);
  fmt::print("  create->event latency ms: p50 {:.2f}  p99 {:.2f}  ({} samples)\n", pct(0.5),
             pct(0.99), latencies.size());
  fmt::print("  RSS with {} objects: {} MiB\n", total, rssKiB() / 1024);
  return 0;
}
