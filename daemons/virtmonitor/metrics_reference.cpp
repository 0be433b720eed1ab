#include "virtmonitor/metrics_reference.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "virtmonitor/exporter.h"

namespace univirt::virtmonitor {
namespace {

constexpr std::string_view kNode = "node1";

// Label names of one sample line "name{a="x",b="y"} 1".
std::vector<std::string> labelNames(std::string_view labels) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos < labels.size()) {
    const std::size_t eq = labels.find('=', pos);
    if (eq == std::string_view::npos) {
      break;
    }
    names.emplace_back(labels.substr(pos, eq - pos));
    pos = eq + 2;  // past ="
    while (pos < labels.size() && labels[pos] != '"') {
      pos += labels[pos] == '\\' ? 2 : 1;
    }
    pos += 2;  // past ",
  }
  return names;
}

DomainStats runningDomain(double scale) {
  DomainStats domain;
  domain.name = "vm1";
  domain.uuid = "0b5c4f0e-8d7e-4a7e-9f3c-2f1d1e9a0001";
  domain.state = VIR_DOMAIN_RUNNING;
  domain.reason = 1;
  domain.fields = {{"state.state", 1},
                   {"state.reason", 1},
                   {"cpu.time", 4e9 * scale},
                   {"cpu.user", 1e9 * scale},
                   {"cpu.system", 2e9 * scale},
                   {"balloon.current", 1048576},
                   {"balloon.maximum", 2097152},
                   {"balloon.swap_in", 0},
                   {"balloon.swap_out", 0},
                   {"balloon.major_fault", 100 * scale},
                   {"balloon.minor_fault", 1000 * scale},
                   {"balloon.unused", 524288},
                   {"balloon.available", 1000000},
                   {"balloon.usable", 600000},
                   {"balloon.rss", 300000},
                   {"balloon.disk_caches", 50000},
                   {"vcpu.current", 2},
                   {"vcpu.maximum", 4}};
  for (unsigned int i = 0; i < 2; ++i) {
    domain.vcpus.push_back(DeviceStats{
        .index = i,
        .name = {},
        .path = {},
        .fields = {
            {"state", 1}, {"time", 1.5e9 * scale}, {"wait", 1e7 * scale}, {"delay", 1e6 * scale}}});
  }
  domain.nets.push_back(DeviceStats{.index = 0,
                                    .name = "vnet0",
                                    .path = {},
                                    .fields = {{"rx.bytes", 1e6 * scale},
                                               {"rx.pkts", 1e3 * scale},
                                               {"rx.errs", 0},
                                               {"rx.drop", 1 * scale},
                                               {"tx.bytes", 2e6 * scale},
                                               {"tx.pkts", 2e3 * scale},
                                               {"tx.errs", 0},
                                               {"tx.drop", 0}}});
  domain.blocks.push_back(DeviceStats{.index = 0,
                                      .name = "vda",
                                      .path = "/var/lib/libvirt/images/vm1.qcow2",
                                      .fields = {{"rd.reqs", 100 * scale},
                                                 {"rd.bytes", 4096e2 * scale},
                                                 {"rd.times", 1e8 * scale},
                                                 {"wr.reqs", 50 * scale},
                                                 {"wr.bytes", 4096e1 * scale},
                                                 {"wr.times", 2e8 * scale},
                                                 {"fl.reqs", 5 * scale},
                                                 {"fl.times", 1e7 * scale},
                                                 {"allocation", 1e8},
                                                 {"capacity", 1e9},
                                                 {"physical", 1.1e8}}});
  return domain;
}

std::string sectionFor(std::string_view title, std::string_view intro,
                       const std::vector<FamilyDescription>& families) {
  std::string out = fmt::format(
      "## {}\n\n{}\n\n| metric | type | labels | meaning |\n|---|---|---|---|\n", title, intro);
  for (const FamilyDescription& family : families) {
    std::string help;
    for (char c : family.help) {
      help += c == '|' ? std::string("\\|") : std::string(1, c);
    }
    out += fmt::format("| `{}` | {} | {} | {} |\n", family.name, family.type,
                       family.labels.empty() ? std::string("—")
                                             : fmt::format("{}", fmt::join(family.labels, ", ")),
                       help);
  }
  return out + "\n";
}

}  // namespace

std::vector<FamilyDescription> describeText(std::string_view text) {
  std::vector<FamilyDescription> families;
  auto find = [&families](std::string_view name) -> FamilyDescription& {
    for (FamilyDescription& family : families) {
      if (family.name == name) {
        return family;
      }
    }
    families.push_back(FamilyDescription{
        .name = std::string(name), .type = {}, .help = {}, .labels = {}, .samples = 0});
    return families.back();
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      FamilyDescription& family = find(rest.substr(0, space));
      const std::string_view value = space == std::string_view::npos ? "" : rest.substr(space + 1);
      (line[2] == 'H' ? family.help : family.type) = std::string(value);
      continue;
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t brace = line.find('{');
    const std::size_t space = line.find(' ');
    FamilyDescription& family = find(line.substr(0, std::min(brace, space)));
    ++family.samples;
    if (brace != std::string_view::npos && brace < space) {
      const std::size_t close = line.rfind('}');
      for (std::string& name : labelNames(line.substr(brace + 1, close - brace - 1))) {
        if (std::find(family.labels.begin(), family.labels.end(), name) == family.labels.end()) {
          family.labels.push_back(std::move(name));
        }
      }
    }
  }
  return families;
}

Snapshot referenceSnapshot(bool later) {
  const double scale = later ? 2 : 1;
  Snapshot snapshot;
  snapshot.taken = std::chrono::steady_clock::time_point{} + std::chrono::seconds(later ? 20 : 10);
  snapshot.domains.push_back(runningDomain(scale));
  DomainStats off;
  off.name = "vm2";
  off.uuid = "0b5c4f0e-8d7e-4a7e-9f3c-2f1d1e9a0002";
  off.state = VIR_DOMAIN_SHUTOFF;
  off.fields = {{"state.state", VIR_DOMAIN_SHUTOFF}, {"state.reason", 1}};
  snapshot.domains.push_back(std::move(off));
  snapshot.pools.push_back(StoragePoolStats{.name = "default",
                                            .uuid = "0b5c4f0e-8d7e-4a7e-9f3c-2f1d1e9a0100",
                                            .type = "dir",
                                            .active = true,
                                            .capacity_bytes = 1e11,
                                            .allocation_bytes = 4e10,
                                            .available_bytes = 6e10});
  return snapshot;
}

Owners referenceOwners() {
  return Owners{{"vm1", VmOwner{.namespace_name = "default",
                                .name = "vm1",
                                .labels = {{"host", std::string(kNode)},
                                           {"owner", "alice"},
                                           {"router", "r1"},
                                           {"autoscalinggroup", "g1"},
                                           {"cluster", "c1"}}}}};
}

std::string referenceText(Family family) {
  const Snapshot previous = referenceSnapshot(false);
  const Snapshot current = referenceSnapshot(true);
  const Owners owners = referenceOwners();
  const RenderContext context{.node = std::string(kNode),
                              .zone = "zone-a",
                              .current = current,
                              .previous = &previous,
                              .owners = owners};
  return renderText(renderFamilies({family}, context));
}

std::string referenceHealthText() {
  const Exporter exporter(ExporterOptions{},
                          []() -> util::Result<std::shared_ptr<virt::Connection>> {
                            return util::Error{util::ErrorCode::Unavailable, "reference only"};
                          },
                          {});
  return exporter.healthText();
}

std::string renderMetricsReference() {
  std::string out =
      "# virtmonitor metrics reference\n\n"
      "<!-- Generated by univirt-virtmonitor-metrics-doc from the exporter's own rendering "
      "code; do not edit.\n"
      "     The unit test VirtmonitorMetricsReference.MatchesCommittedFile fails when this file "
      "differs. -->\n\n"
      "Every series comes from the last refresh (one `virConnectGetAllDomainStats` call every "
      "`refresh-interval`), except the exporter's own series, which are computed per scrape. "
      "Which name families are emitted is chosen with `metric-families` (see "
      "[virtmonitor(8)](virtmonitor.md)). A series whose statistic libvirt did not report (a "
      "shut-off domain has no CPU time, a guest without a balloon driver has no "
      "`balloon.available`) is left out, except in the upstream family, which reports zeros "
      "as upstream did.\n\n";
  out +=
      sectionFor("Exporter health (always emitted)",
                 "About the exporter itself; `univirt_virtmonitor_up` is the series to alert on.",
                 describeText(referenceHealthText()));
  out += sectionFor(
      "univirt (default)",
      "`metric-families=univirt`. Counters and gauges as libvirt reports them, in seconds and "
      "bytes; compute rates in PromQL. `namespace` and `name` are the owning VirtualMachine's "
      "(empty for a domain no VirtualMachine owns, or without an API server).",
      describeText(referenceText(Family::Univirt)));
  out += sectionFor(
      "upstream",
      "`metric-families=upstream`. The upstream exporter's names (the spelling `secend` is part "
      "of the contract), all gauges; disk and NIC series are per-second rates between the last "
      "two refreshes; `owner`, `router`, `autoscalinggroup` and `cluster` are copied from the "
      "VirtualMachine's labels; `zone` is the `zone` option, by default the Node's `zone` label. "
      "NIC `device` is the MAC address, as upstream (without its Python `b'...'` quirk).",
      describeText(referenceText(Family::Upstream)));
  out += sectionFor("kubevirt",
                    "`metric-families=kubevirt`. KubeVirt's virt-handler names and label names, so "
                    "KubeVirt dashboards work unchanged.",
                    describeText(referenceText(Family::Kubevirt)));
  return out;
}

}  // namespace univirt::virtmonitor
