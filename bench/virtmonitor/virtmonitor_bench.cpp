// virtmonitor_bench: what one metrics refresh costs at 1,000 domains, next to a naive exporter
// that asks libvirt domain by domain, in the same process and the same run.
//
//   virtmonitor_bench [--domains N] [--rounds R] [--uri URI]
//
// Defines and starts N domains (default 1000), each with 2 vCPUs, a disk, a NIC and a balloon,
// in libvirt's test driver (default test:///default, in this process; test+unix:///default runs
// the same driver inside a running libvirtd, so every call is a real RPC as on a node), then
// measures, best of R rounds (default 5):
//   refresh   one virConnectGetAllDomainStats call + storage pools (virtmonitor's collect step)
//   render    the univirt family → text (what /metrics then serves from memory), also at full
//             width: N copies of a domain with every statistic QEMU reports
//             (metrics_reference.h), since the test driver's bulk call returns only the state
//   naive     per domain: virDomainGetInfo, virDomainGetVcpus, virDomainMemoryStats,
//             virDomainBlockStats(vda), virDomainInterfaceStats(nic) — and the same loop with
//             virDomainGetXMLDesc first, as an exporter must to find the devices (upstream
//             ran `virsh dumpxml` per VM)
//   naive-state  per domain: virDomainGetInfo only
// and prints the ratios. Caveat, printed too: libvirt 9.0's test driver implements only the
// `state` group of the bulk call (cpu, balloon, vcpu, interface and block come back empty),
// so the bulk call does less work here than on QEMU; naive-state is the like-for-like baseline.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <libvirt/libvirt.h>

#include "core/util/clock.h"
#include "core/virt/connection.h"
#include "virtmonitor/domain_stats.h"
#include "virtmonitor/exporter.h"
#include "virtmonitor/metrics_reference.h"

namespace {

namespace vm = univirt::virtmonitor;
namespace virt = univirt::virt;
using Clock = std::chrono::steady_clock;

struct Args {
  int domains = 1000;
  int rounds = 5;
  std::string uri = "test:///default";
};

Args parseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--domains") {
      args.domains = std::atoi(argv[i + 1]);
    } else if (flag == "--rounds") {
      args.rounds = std::atoi(argv[i + 1]);
    } else if (flag == "--uri") {
      args.uri = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: virtmonitor_bench [--domains N] [--rounds R] [--uri URI]\n");
      std::exit(2);
    }
  }
  return args;
}

long rssKib(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::atol(line.c_str() + std::string(key).size());
    }
  }
  return 0;
}

std::string nicName(int i) { return fmt::format("bn{}", i); }

std::string domainXml(int i) {
  return fmt::format(
      "<domain type='test'><name>bench-{0}</name><memory>131072</memory>"
      "<currentMemory>131072</currentMemory><vcpu>2</vcpu><os><type>hvm</type></os><devices>"
      "<disk type='file' device='disk'><source file='/guest/bench-{0}.img'/>"
      "<target dev='vda' bus='virtio'/></disk>"
      "<interface type='network'><mac address='52:54:00:{1:02x}:{2:02x}:{3:02x}'/>"
      "<source network='default'/><target dev='{4}'/></interface>"
      "<memballoon model='virtio'/></devices></domain>",
      i, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, nicName(i));
}

double ms(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

double best(int rounds, const std::function<void()>& body) {
  double fastest = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    body();
    fastest = std::min(fastest, ms(Clock::now() - start));
  }
  return fastest;
}

// One naive pass; returns a checksum so the calls cannot be dropped.
unsigned long long naivePass(const std::vector<virt::Domain>& domains, bool with_xml,
                             bool state_only) {
  unsigned long long sum = 0;
  std::vector<virVcpuInfo> vcpus(8);
  for (std::size_t i = 0; i < domains.size(); ++i) {
    virDomainPtr dom = domains[i].get();
    if (with_xml) {
      sum += virt::takeString(virDomainGetXMLDesc(dom, 0)).size();
    }
    virDomainInfo info{};
    if (virDomainGetInfo(dom, &info) == 0) {
      sum += info.cpuTime;
    }
    if (state_only) {
      continue;
    }
    sum += static_cast<unsigned long long>(
        virDomainGetVcpus(dom, vcpus.data(), static_cast<int>(vcpus.size()), nullptr, 0));
    virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR]{};
    sum += static_cast<unsigned long long>(
        virDomainMemoryStats(dom, memory, VIR_DOMAIN_MEMORY_STAT_NR, 0));
    virDomainBlockStatsStruct block{};
    if (virDomainBlockStats(dom, "vda", &block, sizeof(block)) == 0) {
      sum += static_cast<unsigned long long>(block.rd_req);
    }
    virDomainInterfaceStatsStruct nic{};
    const std::string& name = domains[i].name();
    const std::string nic_name = nicName(std::atoi(name.c_str() + name.find('-') + 1));
    if (virDomainInterfaceStats(dom, nic_name.c_str(), &nic, sizeof(nic)) == 0) {
      sum += static_cast<unsigned long long>(nic.rx_bytes);
    }
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  auto opened = virt::Connection::open(args.uri);
  if (!opened.has_value()) {
    std::fprintf(stderr, "virtmonitor_bench: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto connection = std::make_shared<virt::Connection>(std::move(*opened));
  const long rss_start = rssKib("VmRSS:");
  std::vector<virt::Domain> domains;
  for (int i = 0; i < args.domains; ++i) {
    auto domain = connection->defineDomain(domainXml(i));
    if (!domain.has_value() || !domain->start().has_value()) {
      std::fprintf(stderr, "virtmonitor_bench: cannot define bench-%d\n", i);
      return 1;
    }
    domains.push_back(std::move(*domain));
  }
  const long rss_defined = rssKib("VmRSS:");

  vm::Exporter exporter(
      vm::ExporterOptions{.node = "bench", .zone = {}, .families = {vm::Family::Univirt}},
      [&connection]() -> univirt::util::Result<std::shared_ptr<virt::Connection>> {
        return connection;
      },
      {});
  double collect_ms = 1e300;
  double render_ms = 1e300;
  double refresh_ms = best(args.rounds, [&] {
    if (!exporter.refresh().has_value()) {
      std::fprintf(stderr, "virtmonitor_bench: refresh failed\n");
      std::exit(1);
    }
    collect_ms = std::min(collect_ms, ms(exporter.lastCost().collect));
    render_ms = std::min(render_ms, ms(exporter.lastCost().render));
  });
  double serve_ms = best(args.rounds, [&] {
    volatile std::size_t size = exporter.body().size();
    static_cast<void>(size);
  });
  const long rss_exporter = rssKib("VmRSS:");

  unsigned long long checksum = 0;
  const double naive_ms =
      best(args.rounds, [&] { checksum += naivePass(domains, /*with_xml=*/false, false); });
  const double naive_xml_ms =
      best(args.rounds, [&] { checksum += naivePass(domains, /*with_xml=*/true, false); });
  const double naive_state_ms =
      best(args.rounds, [&] { checksum += naivePass(domains, false, /*state_only=*/true); });

  // Rendering at full width: every domain with all the statistics QEMU reports (2 vCPUs, a
  // disk, a NIC, the balloon), as the test driver's bulk call cannot produce them.
  vm::Snapshot full = vm::referenceSnapshot(true);
  const vm::DomainStats model = full.domains.front();
  full.domains.clear();
  for (int i = 0; i < args.domains; ++i) {
    vm::DomainStats copy = model;
    copy.name = fmt::format("bench-{}", i);
    copy.uuid = fmt::format("00000000-0000-0000-0000-{:012d}", i);
    full.domains.push_back(std::move(copy));
  }
  const vm::Owners no_owners;
  std::size_t full_bytes = 0;
  const double full_render_ms = best(args.rounds, [&] {
    const vm::RenderContext context{
        .node = "bench", .zone = {}, .current = full, .previous = nullptr, .owners = no_owners};
    full_bytes = vm::renderText(vm::renderFamilies({vm::Family::Univirt}, context)).size();
  });

  std::printf("virtmonitor_bench: %d domains on %s, best of %d rounds (checksum %llu)\n",
              args.domains, args.uri.c_str(), args.rounds, checksum % 1000);
  std::printf("  refresh (bulk call + pools + render) %8.2f ms\n", refresh_ms);
  std::printf("    of which the bulk call + pools   %8.2f ms\n", collect_ms);
  std::printf("    of which rendering the text      %8.2f ms (%zu bytes)\n", render_ms,
              exporter.lastCost().bytes);
  std::printf("  render at full width (QEMU's groups)%7.2f ms (%zu bytes)\n", full_render_ms,
              full_bytes);
  std::printf("  a scrape (copy of the cached text) %8.3f ms\n", serve_ms);
  std::printf("  naive loop, 5 calls per domain     %8.2f ms  ratio %.1fx the bulk call\n",
              naive_ms, naive_ms / collect_ms);
  std::printf("  naive loop + dumpxml per domain    %8.2f ms  ratio %.1fx the bulk call\n",
              naive_xml_ms, naive_xml_ms / collect_ms);
  std::printf(
      "  naive-state loop (GetInfo only)    %8.2f ms  ratio %.1fx the bulk call (like for like)\n",
      naive_state_ms, naive_state_ms / collect_ms);
  std::printf(
      "  RSS: %ld KiB at start, %ld KiB with the domains, %ld KiB after refreshes "
      "(+%ld KiB for the exporter)\n",
      rss_start, rss_defined, rss_exporter, rss_exporter - rss_defined);
  std::printf(
      "  note: libvirt's test driver implements only the state group of "
      "virConnectGetAllDomainStats,\n  so the bulk call returns less data here than on "
      "QEMU; the naive-state ratio compares like with like.\n");

  for (virt::Domain& domain : domains) {
    static_cast<void>(domain.destroy());
    static_cast<void>(domain.undefine());
  }
  return 0;
}
