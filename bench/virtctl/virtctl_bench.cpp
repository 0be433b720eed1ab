// virtctl_bench: what a lifecycle request through virtctl's engine costs over the bare libvirt
// call it makes (issue 6 point 6), in one process, on libvirt's in-process test driver
// (test:///default) and an in-process kube-lite:
//   bare libvirt         virDomainSuspend/virDomainResume on N running domains from `workers`
//                        threads (at least 100k calls) → calls/s and mean µs per call
//   one at a time        suspendVM/resumeVM requests written as a user would (an update setting
//                        spec.lifecycle), one outstanding, walking the N objects → p50/p99 from
//                        the write to the outcome seen through an informer
//   N in flight          the same with every object busy (its next request written when the
//                        previous outcome is seen) → requests/s, p50/p99, overhead per request
//                        over the bare call at saturation
//   API writes/request   the engine's own count (take, outcome, Doing and Done Events); more
//                        than 4 fails the run (exit 1)
// The engine runs the production operation table (addVirtualMachineOperations) with the
// client-side rate limit lifted, so the figures are the engine's and the server's, not the
// limiter's (20 QPS by default, i.e. 5 requests/s at 4 writes each).
// Usage: virtctl_bench [requests=2000] [objects=50] [workers=4]

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "core/kube/client.h"
#include "core/kube/detail/yaml_json.h"
#include "core/lifecycle/engine.h"
#include "core/lifecycle/operation_table.h"
#include "core/virt/connection.h"
#include "kube-lite/certs.h"
#include "support/in_process_kube_lite.h"
#include "virtctl/request_driver.h"
#include "virtctl/vm/owner_metadata.h"
#include "virtctl/vm/vm_operations.h"

namespace kube = univirt::kube;
namespace lifecycle = univirt::lifecycle;
namespace util = univirt::util;
namespace virt = univirt::virt;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

const kube::ResourceRef kVirtualMachines{"doslab.io", "v1", "virtualmachines", true};
const kube::ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};
constexpr const char* kNode = "bench-node";
constexpr const char* kNamespace = "default";
// The one-at-a-time phase: enough samples for a p99, short enough to add little to a run.
constexpr int kSequentialRequests = 200;
// Users writing requests concurrently; the engine's workers are the variable under test.
constexpr std::size_t kSubmitters = 4;
constexpr milliseconds kStallTimeout{60'000};
constexpr double kMaxWritesPerRequest = 4.0;
// A bare call takes microseconds: at least this many, so thread start-up does not dominate.
constexpr int kMinBaselineCalls = 100'000;

struct Args {
  int requests = 2000;
  int objects = 50;
  int workers = 4;
};

// A domain with what a real VirtualMachine has (disk, NIC, VNC), so that the refresh after
// each request converts a realistic document; owned by kNamespace.
std::string domainXml(const std::string& name) {
  return fmt::format(
      "<domain type='kvm'><name>{0}</name><memory unit='KiB'>1048576</memory>"
      "<currentMemory unit='KiB'>1048576</currentMemory><vcpu placement='static'>2</vcpu>"
      "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>"
      "<features><acpi/><apic/></features><clock offset='utc'/>"
      "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
      "<on_crash>destroy</on_crash><devices>"
      "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source file='/var/lib/libvirt/images/{0}.qcow2'/><target dev='vda' bus='virtio'/></disk>"
      "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
      "<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'/>"
      "</devices></domain>",
      name);
}

util::Result<std::vector<virt::Domain>> startDomains(const virt::Connection& connection,
                                                     int count) {
  std::vector<virt::Domain> domains;
  for (int i = 0; i < count; ++i) {
    const std::string name = fmt::format("bench-vm-{}", i);
    auto xml = univirt::virtctl::vm::withVmMetadata(
        domainXml(name), {.owner_namespace = kNamespace, .os_variant = {}});
    if (!xml) {
      return util::Error{util::ErrorCode::Internal, "the bench domain XML is not a <domain>"};
    }
    auto domain = connection.defineDomain(*xml);
    if (!domain) {
      return domain.error();
    }
    if (auto started = domain->start(); !started) {
      return started.error();
    }
    domains.push_back(std::move(*domain));
  }
  return domains;
}

struct Baseline {
  int calls = 0;
  double ops_per_second = 0;
  double mean_call_us = 0;
};

// `calls` suspend/resume calls spread over `threads` threads, each toggling its own domains.
util::Result<Baseline> runBaseline(std::vector<virt::Domain>& domains, int calls,
                                   std::size_t threads) {
  threads = std::min(threads, domains.size());
  std::vector<double> busy_us(threads, 0.0);
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  const auto began = Clock::now();
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<std::size_t> mine;
      for (std::size_t d = t; d < domains.size(); d += threads) {
        mine.push_back(d);
      }
      std::vector<bool> running(mine.size(), true);
      const int share = calls / static_cast<int>(threads) +
                        (static_cast<int>(t) < calls % static_cast<int>(threads) ? 1 : 0);
      for (int i = 0; i < share; ++i) {
        const std::size_t k = static_cast<std::size_t>(i) % mine.size();
        virt::Domain& domain = domains[mine[k]];
        const auto call_began = Clock::now();
        auto done = running[k] ? domain.suspend() : domain.resume();
        busy_us[t] += std::chrono::duration<double, std::micro>(Clock::now() - call_began).count();
        if (!done) {
          errors[t] = done.error().message;
          return;
        }
        running[k] = !running[k];
      }
      // Leave every domain running for the engine phase (not timed).
      for (std::size_t k = 0; k < mine.size(); ++k) {
        if (!running[k]) {
          (void)domains[mine[k]].resume();
        }
      }
    });
  }
  for (auto& thread : pool) {
    thread.join();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - began).count();
  for (const auto& error : errors) {
    if (!error.empty()) {
      return util::Error{util::ErrorCode::Internal, error};
    }
  }
  double total_us = 0;
  for (double us : busy_us) {
    total_us += us;
  }
  return Baseline{.calls = calls, .ops_per_second = calls / wall, .mean_call_us = total_us / calls};
}

util::Status installCrd(kube::Client& client) {
  const std::string path = std::string(UNIVIRT_SOURCE_DIR) + "/daemons/crds/virtualmachine.yaml";
  auto text = univirt::kubelite::readFile(path);
  if (!text) {
    return text.error();
  }
  auto crd = kube::detail::parseYaml(*text, fmt::format("CRD file '{}'", path));
  if (!crd) {
    return crd.error();
  }
  if (auto created = client.create(kCrds, *crd); !created) {
    return created.error();
  }
  // Served once its kind can be listed.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!client.list(kVirtualMachines, kNamespace).has_value()) {
    if (Clock::now() > deadline) {
      return util::Error{util::ErrorCode::Timeout, "virtualmachines.doslab.io is not served"};
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return util::ok();
}

util::Status createObjects(kube::Client& client, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const kube::Object object = {
        {"apiVersion", "doslab.io/v1"},
        {"kind", "VirtualMachine"},
        {"metadata", {{"name", name}, {"namespace", kNamespace}, {"labels", {{"host", kNode}}}}},
        {"spec", {{"nodeName", kNode}}}};
    if (auto created = client.create(kVirtualMachines, object); !created) {
      return created.error();
    }
  }
  return util::ok();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Figures {
  Args args;
  std::size_t baseline_threads = 0;
  Baseline baseline;
  univirt::bench::DriverRun sequential;
  univirt::bench::DriverRun loaded;
  double loaded_cpu_seconds = 0;
  double writes_per_request = 0;
  lifecycle::EngineStats stats;
};

void row(const std::string& label, const std::string& value) {
  fmt::print("  {:<46}{}\n", label, value);
}

void printFigures(const Figures& f) {
  const double bare_us = f.baseline.mean_call_us;
  const double seq_p50 = percentile(f.sequential.latencies_us, 0.5);
  const double rate = f.args.requests / f.loaded.wall_seconds;
  fmt::print(
      "virtctl bench: suspendVM/resumeVM on {} domains (libvirt test:///default), "
      "kube-lite in-process, {} engine workers\n",
      f.args.objects, f.args.workers);
  row(fmt::format("bare libvirt calls ({} threads, {} calls)", f.baseline_threads,
                  f.baseline.calls),
      fmt::format("{:.0f} ops/s, mean {:.1f} us/call", f.baseline.ops_per_second, bare_us));
  row(fmt::format("requests one at a time ({})", f.sequential.latencies_us.size()),
      fmt::format("p50 {:.2f} ms  p99 {:.2f} ms  (write of the request -> outcome seen)",
                  seq_p50 / 1000, percentile(f.sequential.latencies_us, 0.99) / 1000));
  row("  overhead over the bare call (p50)",
      fmt::format("+{:.0f} us per request, x{:.0f}", seq_p50 - bare_us, seq_p50 / bare_us));
  row(fmt::format("requests, {} objects in flight ({})", f.args.objects, f.args.requests),
      fmt::format("{:.0f} requests/s  p50 {:.2f} ms  p99 {:.2f} ms", rate,
                  percentile(f.loaded.latencies_us, 0.5) / 1000,
                  percentile(f.loaded.latencies_us, 0.99) / 1000));
  row("  overhead over the bare call (throughput)",
      fmt::format("+{:.0f} us per request (1/rate - 1/bare rate), bare/engine rate x{:.0f}",
                  1e6 / rate - 1e6 / f.baseline.ops_per_second, f.baseline.ops_per_second / rate));
  row("  process CPU per request",
      fmt::format("{:.2f} ms (kube-lite + engine + users, one process)",
                  f.loaded_cpu_seconds * 1000 / f.args.requests));
  row("API writes per request",
      fmt::format("{:.2f} (limit {:.0f}: take, outcome, Doing and Done Events)",
                  f.writes_per_request, kMaxWritesPerRequest));
  row("engine requests",
      fmt::format("{} taken, {} succeeded, {} failed; users' retries on 409: {}", f.stats.taken,
                  f.stats.succeeded, f.stats.failed, f.sequential.conflicts + f.loaded.conflicts));
}

bool parseArgs(int argc, char** argv, Args& args) {
  int* fields[] = {&args.requests, &args.objects, &args.workers};
  if (argc > 4) {
    return false;
  }
  for (int i = 1; i < argc; ++i) {
    char* end = nullptr;
    const long value = std::strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || value <= 0 || value > 1'000'000) {
      return false;
    }
    *fields[i - 1] = static_cast<int>(value);
  }
  return true;
}

int fail(const std::string& what, const util::Error& error) {
  fmt::print(stderr, "virtctl_bench: {}: {}\n", what, error.message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, args)) {
    fmt::print(stderr, "usage: virtctl_bench [requests=2000] [objects=50] [workers=4]\n");
    return 2;
  }
  const auto workers = static_cast<std::size_t>(args.workers);

  // 1. libvirt: N running domains on the in-process test driver, and the bare calls.
  auto opened = virt::Connection::open("test:///default");
  if (!opened) {
    return fail("opening test:///default", opened.error());
  }
  auto connection = std::make_shared<virt::Connection>(std::move(*opened));
  auto domains = startDomains(*connection, args.objects);
  if (!domains) {
    return fail("defining the domains", domains.error());
  }
  auto baseline = runBaseline(*domains, std::max(args.requests, kMinBaselineCalls), workers);
  if (!baseline) {
    return fail("bare libvirt calls", baseline.error());
  }

  // 2. kube-lite with the VirtualMachine CRD and one object per domain.
  const std::size_t history = static_cast<std::size_t>(args.requests + kSequentialRequests) * 8 +
                              static_cast<std::size_t>(args.objects) * 4 + 1000;
  auto server = univirt::bench::InProcessKubeLite::start("virtctl-bench", history);
  if (!server) {
    return fail("starting kube-lite", server.error());
  }
  auto engine_client = (*server)->client();
  kube::TransportOptions user_transport;
  user_transport.max_idle_connections = kSubmitters + 2;
  auto user_client = (*server)->client(user_transport);
  if (!engine_client || !user_client) {
    return fail("creating the clients",
                engine_client ? user_client.error() : engine_client.error());
  }
  if (auto installed = installCrd(**user_client); !installed) {
    return fail("installing the VirtualMachine CRD", installed.error());
  }
  std::vector<std::string> names;
  for (const auto& domain : *domains) {
    names.push_back(domain.name());
  }
  if (auto created = createObjects(**user_client, names); !created) {
    return fail("creating the VirtualMachines", created.error());
  }

  // 3. The engine with the production VirtualMachine operations.
  univirt::virtctl::VmOperationDeps deps;
  deps.settings.node_name = kNode;
  deps.settings.device_dir = (*server)->dir() + "/devices";
  deps.connect = [connection]() -> util::Result<std::shared_ptr<virt::Connection>> {
    return connection;
  };
  deps.client = engine_client->get();
  lifecycle::OperationTable table;
  univirt::virtctl::addVirtualMachineOperations(table, deps);
  lifecycle::EngineOptions options;
  options.node_name = kNode;
  options.namespace_name = kNamespace;
  options.workers = workers;
  lifecycle::LifecycleEngine engine(
      **engine_client, table,
      {lifecycle::WatchedKind{
          .kind = "VirtualMachine", .resource = kVirtualMachines, .on_deleted = {}}},
      options);
  engine.start();
  if (!engine.waitForSync(std::chrono::seconds(30))) {
    return fail("starting the engine",
                util::Error{util::ErrorCode::Timeout, "its informer did not sync"});
  }
  univirt::bench::RequestDriver driver(**user_client, kVirtualMachines, kNamespace, names,
                                       kSubmitters);
  if (!driver.start(std::chrono::seconds(30))) {
    return fail("starting the users' informer",
                util::Error{util::ErrorCode::Timeout, "it did not sync"});
  }

  // 4. One request at a time, then every object busy.
  const int sequential_count = std::min(args.requests, kSequentialRequests);
  auto sequential = driver.run(sequential_count, 1, kStallTimeout);
  if (!sequential) {
    return fail("requests one at a time", sequential.error());
  }
  const double cpu_before = processCpuSeconds();
  auto loaded = driver.run(args.requests, names.size(), kStallTimeout);
  const double cpu_seconds = processCpuSeconds() - cpu_before;
  if (!loaded) {
    return fail("requests on every object", loaded.error());
  }
  engine.waitIdle();  // the Done Events follow the outcome the users saw
  const lifecycle::EngineStats stats = engine.stats();
  engine.stop();

  const int total = sequential_count + args.requests;
  const double writes_per_request = static_cast<double>(stats.api_writes) / total;
  printFigures(Figures{.args = args,
                       .baseline_threads = std::min(workers, domains->size()),
                       .baseline = *baseline,
                       .sequential = *sequential,
                       .loaded = *loaded,
                       .loaded_cpu_seconds = cpu_seconds,
                       .writes_per_request = writes_per_request,
                       .stats = stats});
  if (writes_per_request > kMaxWritesPerRequest) {
    fmt::print(stderr, "virtctl_bench: {:.2f} API writes per request, more than {:.0f}\n",
               writes_per_request, kMaxWritesPerRequest);
    return 1;
  }
  if (stats.taken != total || stats.failed != 0) {
    fmt::print(stderr, "virtctl_bench: {} requests written, {} taken, {} failed\n", total,
               stats.taken, stats.failed);
    return 1;
  }
  return 0;
}
