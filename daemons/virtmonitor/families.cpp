#include "virtmonitor/families.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace univirt::virtmonitor {

std::string_view familyName(Family family) {
  switch (family) {
    case Family::Univirt:
      return "univirt";
    case Family::Upstream:
      return "upstream";
    case Family::Kubevirt:
      return "kubevirt";
  }
  return "univirt";
}

util::Result<std::vector<Family>> parseFamilies(std::string_view text) {
  std::vector<Family> families;
  std::set<std::string_view> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string_view name = text.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') {
      name.remove_prefix(1);
    }
    while (!name.empty() && name.back() == ' ') {
      name.remove_suffix(1);
    }
    start = comma + 1;
    if (name.empty()) {
      continue;
    }
    bool known = false;
    for (Family family : {Family::Univirt, Family::Upstream, Family::Kubevirt}) {
      if (familyName(family) == name) {
        known = true;
        if (!seen.insert(familyName(family)).second) {
          return util::Error{util::ErrorCode::InvalidArgument,
                             fmt::format("metric family '{}' is named twice", name)};
        }
        families.push_back(family);
      }
    }
    if (!known) {
      return util::Error{
          util::ErrorCode::InvalidArgument,
          fmt::format("unknown metric family '{}' (known: univirt, upstream, kubevirt)", name)};
    }
  }
  if (families.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       "no metric family named (known: univirt, upstream, kubevirt)"};
  }
  return families;
}

MetricSet renderFamilies(const std::vector<Family>& families, const RenderContext& context) {
  MetricSet metrics;
  for (Family family : families) {
    switch (family) {
      case Family::Univirt:
        addUnivirtFamily(context, metrics);
        break;
      case Family::Upstream:
        addUpstreamFamily(context, metrics);
        break;
      case Family::Kubevirt:
        addKubevirtFamily(context, metrics);
        break;
    }
  }
  return metrics;
}

std::string_view domainStateName(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return "running";
    case VIR_DOMAIN_BLOCKED:
      return "blocked";
    case VIR_DOMAIN_PAUSED:
      return "paused";
    case VIR_DOMAIN_SHUTDOWN:
      return "shutdown";
    case VIR_DOMAIN_SHUTOFF:
      return "shutoff";
    case VIR_DOMAIN_CRASHED:
      return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
      return "pmsuspended";
    default:
      return "nostate";
  }
}

std::string_view vcpuStateName(int state) {
  switch (state) {
    case VIR_VCPU_RUNNING:
      return "running";
    case VIR_VCPU_BLOCKED:
      return "blocked";
    default:
      return "offline";
  }
}

}  // namespace univirt::virtmonitor
