// informer_bench: what an Informer costs per event, against reading the same events as a raw
// watch stream through the same Client in the same process (issue 5):
//   raw watch events/s   Client::watch from resourceVersion "" (N synthetic ADDED events),
//                        decoded to WatchEvents and dropped
//   informer events/s    Informer start -> every ADDED handled and synced (paginated list of
//                        N objects, each stored in the ObjectCache and handed to a handler)
//   CPU s / 10k events   getrusage(RUSAGE_THREAD) of the consuming thread (the watch caller;
//                        the informer's thread from its start), so the in-process server and
//                        the log sink are not counted
//   RSS                  of this process (server + client) before and with the informer's
//                        cache holding the N objects
// Usage: informer_bench [objects=10000]

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "core/kube/client.h"
#include "core/kube/informer/informer.h"
#include "support/in_process_kube_lite.h"

namespace kube = univirt::kube;
using Clock = std::chrono::steady_clock;

namespace {

const kube::ResourceRef kConfigMaps{"", "v1", "configmaps", true};

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

double threadCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int objects = argc > 1 ? std::atoi(argv[1]) : 10000;
  auto server = univirt::bench::InProcessKubeLite::start("informer-bench", objects + 1000);
  if (!server) {
    fmt::print(stderr, "{}\n", server.error().message);
    return 1;
  }
  auto client = (*server)->client();
  if (!client) {
    fmt::print(stderr, "{}\n", client.error().message);
    return 1;
  }

  for (int i = 0; i < objects; ++i) {
    kube::Object object = {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", fmt::format("cm{}", i)}, {"namespace", "default"}}},
        {"data", {{"key", fmt::format("value-{}", i)}}}};
    if (auto created = (*client)->create(kConfigMaps, object); !created) {
      fmt::print(stderr, "{}\n", created.error().message);
      return 1;
    }
  }

  // 1. Raw watch: synthetic ADDED events for every object, decoded and dropped.
  int raw_events = 0;
  double raw_cpu = 0;
  auto raw_start = Clock::now();
  {
    std::stop_source stop;
    kube::WatchOptions options;
    options.allow_bookmarks = false;
    double cpu_before = threadCpuSeconds();
    auto watched = (*client)->watch(
        kConfigMaps, "default", options,
        [&](const kube::WatchEvent& event) {
          if (event.type == kube::WatchEventType::Added && ++raw_events == objects) {
            stop.request_stop();
          }
        },
        stop.get_token());
    raw_cpu = threadCpuSeconds() - cpu_before;
    if (!watched || raw_events != objects) {
      fmt::print(stderr, "raw watch ended after {} events\n", raw_events);
      return 1;
    }
  }
  double raw_secs = seconds(Clock::now() - raw_start);

  // 2. Informer: list (pages of 500) into the cache, one on_add per object, then synced.
  long rss_before = rssKiB();
  kube::ListWatch list_watch;
  list_watch.client = client->get();
  list_watch.resource = kConfigMaps;
  list_watch.namespace_name = "default";
  kube::Informer informer(list_watch);
  std::atomic<int> informer_events{0};
  std::atomic<double> informer_cpu_end{0};
  kube::EventHandlers handlers;
  handlers.on_add = [&](const kube::Object&) {
    // RUSAGE_THREAD on the informer's own thread, which start() created: everything it did
    // so far (list requests, JSON decoding, cache inserts, handlers).
    if (++informer_events == objects) {
      informer_cpu_end = threadCpuSeconds();
    }
  };
  informer.addHandlers(std::move(handlers));
  auto informer_start = Clock::now();
  informer.start();
  if (!informer.waitForSync(std::chrono::minutes(5)) || informer_events.load() != objects) {
    fmt::print(stderr, "informer did not sync ({} events)\n", informer_events.load());
    return 1;
  }
  double informer_secs = seconds(Clock::now() - informer_start);
  long rss_with_cache = rssKiB();
  double informer_cpu = informer_cpu_end.load();
  informer.stop();

  double raw_rate = raw_events / raw_secs;
  double informer_rate = objects / informer_secs;
  fmt::print("objects                          {}\n", objects);
  fmt::print("raw watch events/s               {:.0f}\n", raw_rate);
  fmt::print("informer events/s                {:.0f}\n", informer_rate);
  fmt::print("informer/raw rate ratio          {:.2f}\n", informer_rate / raw_rate);
  fmt::print("raw watch CPU s per 10k events   {:.3f}\n", raw_cpu * 10000 / raw_events);
  fmt::print("informer CPU s per 10k events    {:.3f} (informer thread, start..last event)\n",
             informer_cpu * 10000 / objects);
  fmt::print("RSS before informer              {} KiB\n", rss_before);
  fmt::print("RSS with {} cached objects     {} KiB (+{} KiB)\n", objects, rss_with_cache,
             rss_with_cache - rss_before);
  return 0;
}
