// tuneDiskQoS, tuneSchedinfo, tuneNICQoS, tuneMemoryQoS (virsh blkdeviotune, schedinfo,
// domiftune, memtune) through libvirt's typed-parameter setters.

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libvirt/libvirt.h>

#include "core/virt/virt_error.h"
#include "virtctl/vm/typed_params.h"
#include "virtctl/vm/virt_install_options.h"
#include "virtctl/vm/vm_refresh.h"
#include "virtctl/vm/vm_rows.h"
#include "virtctl/vm/vm_support.h"

namespace univirt::virtctl::vm {
namespace {

using lifecycle::Invocation;
using lifecycle::Outcome;
using lifecycle::ParamSpec;
using lifecycle::ParamType;
using util::Error;
using util::ErrorCode;

constexpr std::uint64_t kKiB = 1024;

struct Prepared {
  OwnedDomain owned;
  unsigned int flags = 0;
  bool active = false;
};

util::Result<Prepared> prepare(const VmOperationDeps& deps, const Invocation& invocation) {
  auto owned = openOwnedDomain(deps, invocation);
  if (!owned) {
    return owned.error();
  }
  auto active = owned->domain.isActive();
  if (!active) {
    return active.error();
  }
  auto flags = affectFlags(invocation.params, *active);
  if (!flags) {
    return flags.error();
  }
  return Prepared{std::move(*owned), *flags, *active};
}

Outcome done(const Prepared& prepared, std::string what) {
  const std::string note = nextBootNote(prepared.active, prepared.flags);
  return Outcome{.message = note.empty() ? std::move(what) : fmt::format("{}; {}", what, note)};
}

util::Error noValues(std::string_view names) {
  return Error{ErrorCode::InvalidArgument, fmt::format("give at least one of {}", names)};
}

// virsh blkdeviotune's names → libvirt's typed parameter names.
constexpr std::pair<const char*, const char*> kIoTune[] = {
    {"total-bytes-sec", VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_BYTES_SEC},
    {"read-bytes-sec", VIR_DOMAIN_BLOCK_IOTUNE_READ_BYTES_SEC},
    {"write-bytes-sec", VIR_DOMAIN_BLOCK_IOTUNE_WRITE_BYTES_SEC},
    {"total-iops-sec", VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_IOPS_SEC},
    {"read-iops-sec", VIR_DOMAIN_BLOCK_IOTUNE_READ_IOPS_SEC},
    {"write-iops-sec", VIR_DOMAIN_BLOCK_IOTUNE_WRITE_IOPS_SEC},
};

util::Result<Outcome> tuneDiskQos(const VmOperationDeps& deps, const Invocation& invocation) {
  auto prepared = prepare(deps, invocation);
  if (!prepared) {
    return prepared.error();
  }
  TypedParams typed;
  for (const auto& [param, name] : kIoTune) {
    if (invocation.params.has(param)) {
      if (auto added = typed.addULLong(
              name, static_cast<unsigned long long>(invocation.params.integer(param)));
          !added) {
        return added.error();
      }
    }
  }
  if (typed.empty()) {
    return noValues("total/read/write-bytes-sec, total/read/write-iops-sec");
  }
  const std::string device = invocation.params.string("device");
  if (virDomainSetBlockIoTune(prepared->owned.domain.get(), device.c_str(), typed.get(),
                              typed.count(), prepared->flags) < 0) {
    return virt::lastError(
        fmt::format("setting I/O limits of disk '{}' of domain '{}'", device, invocation.name));
  }
  return done(*prepared, fmt::format("I/O limits of disk '{}' set", device));
}

util::Result<Outcome> tuneSchedinfo(const VmOperationDeps& deps, const Invocation& invocation) {
  auto prepared = prepare(deps, invocation);
  if (!prepared) {
    return prepared.error();
  }
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const InstallOption& option : splitInstallOptions(invocation.params.string("set"))) {
    if (!option.has_value) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("set '{}' is not 'name=value'", option.key)};
    }
    wanted.emplace_back(option.key, option.value);
  }
  for (const char* name : {"weight", "cap"}) {
    if (invocation.params.has(name)) {
      wanted.emplace_back(name, std::to_string(invocation.params.integer(name)));
    }
  }
  if (wanted.empty()) {
    return noValues("set, weight, cap");
  }
  // The scheduler's parameter names and types, as virsh learns them before setting.
  virDomainPtr domain = prepared->owned.domain.get();
  int count = 0;
  char* type = virDomainGetSchedulerType(domain, &count);
  if (type == nullptr) {
    return virt::lastError(fmt::format("reading the scheduler of domain '{}'", invocation.name));
  }
  virt::takeString(type);
  std::vector<virTypedParameter> current(static_cast<std::size_t>(std::max(count, 0)));
  if (count > 0 && virDomainGetSchedulerParameters(domain, current.data(), &count) < 0) {
    return virt::lastError(
        fmt::format("reading the scheduler parameters of domain '{}'", invocation.name));
  }
  current.resize(static_cast<std::size_t>(count));
  TypedParams typed;
  for (const auto& [wanted_name, value] : wanted) {
    const std::string& name = wanted_name;  // clang 14 cannot capture a structured binding
    const auto it = std::find_if(current.begin(), current.end(),
                                 [&](const virTypedParameter& p) { return name == p.field; });
    if (it == current.end()) {
      std::vector<std::string> known;
      for (const virTypedParameter& parameter : current) {
        known.emplace_back(parameter.field);
      }
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("domain '{}' has no scheduler parameter '{}' (it has: {})",
                               invocation.name, name, fmt::join(known, ", "))};
    }
    if (auto added = typed.addAs(it->type, name, value); !added) {
      return added.error();
    }
  }
  if (virDomainSetSchedulerParametersFlags(domain, typed.get(), typed.count(), prepared->flags) <
      0) {
    return virt::lastError(
        fmt::format("setting scheduler parameters of domain '{}'", invocation.name));
  }
  return done(*prepared, "scheduler parameters set");
}

// virsh domiftune's "average[,peak[,burst[,floor]]]" (KiB/s, KiB/s, KiB, KiB/s).
util::Status addBandwidth(TypedParams& typed, const std::string& text, bool inbound) {
  const std::vector<const char*> names =
      inbound
          ? std::vector<const char*>{VIR_DOMAIN_BANDWIDTH_IN_AVERAGE, VIR_DOMAIN_BANDWIDTH_IN_PEAK,
                                     VIR_DOMAIN_BANDWIDTH_IN_BURST, VIR_DOMAIN_BANDWIDTH_IN_FLOOR}
          : std::vector<const char*>{VIR_DOMAIN_BANDWIDTH_OUT_AVERAGE,
                                     VIR_DOMAIN_BANDWIDTH_OUT_PEAK, VIR_DOMAIN_BANDWIDTH_OUT_BURST};
  std::size_t index = 0;
  for (const InstallOption& option : splitInstallOptions(text)) {
    if (option.has_value || index >= names.size()) {
      return Error{ErrorCode::InvalidArgument, fmt::format("'{}' is not 'average[,peak[,burst{}]]'",
                                                           text, inbound ? "[,floor]" : "")};
    }
    if (auto added = typed.addAs(VIR_TYPED_PARAM_UINT, names[index], option.key); !added) {
      return added.error();
    }
    ++index;
  }
  return util::ok();
}

util::Result<Outcome> tuneNicQos(const VmOperationDeps& deps, const Invocation& invocation) {
  auto prepared = prepare(deps, invocation);
  if (!prepared) {
    return prepared.error();
  }
  TypedParams typed;
  for (const bool inbound : {true, false}) {
    const char* name = inbound ? "inbound" : "outbound";
    if (invocation.params.has(name)) {
      if (auto added = addBandwidth(typed, invocation.params.string(name), inbound); !added) {
        return added.error();
      }
    }
  }
  if (typed.empty()) {
    return noValues("inbound, outbound");
  }
  const std::string device = invocation.params.string("interface");
  if (virDomainSetInterfaceParameters(prepared->owned.domain.get(), device.c_str(), typed.get(),
                                      typed.count(), prepared->flags) < 0) {
    return virt::lastError(
        fmt::format("setting bandwidth of interface '{}' of domain '{}'", device, invocation.name));
  }
  return done(*prepared, fmt::format("bandwidth of interface '{}' set", device));
}

constexpr std::pair<const char*, const char*> kMemTune[] = {
    {"hard-limit", VIR_DOMAIN_MEMORY_HARD_LIMIT},
    {"soft-limit", VIR_DOMAIN_MEMORY_SOFT_LIMIT},
    {"swap-hard-limit", VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT},
    {"min-guarantee", VIR_DOMAIN_MEMORY_MIN_GUARANTEE},
};

bool isUnlimited(const std::string& text) { return text == "unlimited" || text == "-1"; }

util::Result<Outcome> tuneMemoryQos(const VmOperationDeps& deps, const Invocation& invocation) {
  auto prepared = prepare(deps, invocation);
  if (!prepared) {
    return prepared.error();
  }
  TypedParams typed;
  for (const auto& [param, name] : kMemTune) {
    if (!invocation.params.has(param)) {
      continue;
    }
    const std::string text = invocation.params.string(param);
    unsigned long long kib = VIR_DOMAIN_MEMORY_PARAM_UNLIMITED;
    if (!isUnlimited(text)) {
      auto bytes = parseScaledSize(text, kKiB);
      if (!bytes) {
        return bytes.error();
      }
      kib = *bytes / kKiB;
    }
    if (auto added = typed.addULLong(name, kib); !added) {
      return added.error();
    }
  }
  if (typed.empty()) {
    return noValues("hard-limit, soft-limit, swap-hard-limit, min-guarantee");
  }
  if (virDomainSetMemoryParameters(prepared->owned.domain.get(), typed.get(), typed.count(),
                                   prepared->flags) < 0) {
    return virt::lastError(fmt::format("setting memory limits of domain '{}'", invocation.name));
  }
  return done(*prepared, "memory limits set");
}

std::vector<ParamSpec> withFlags(std::vector<ParamSpec> params) {
  for (ParamSpec& flag : affectParams(false, false)) {
    params.push_back(std::move(flag));
  }
  return params;
}

lifecycle::ParamValidator memoryLimitValidator() {
  auto scaled = scaledSizeValidator(kKiB);
  return [scaled](const lifecycle::ParamValue& value,
                  const lifecycle::ValidationContext& context) -> util::Status {
    const auto* text = std::get_if<std::string>(&value);
    if (text != nullptr && isUnlimited(*text)) {
      return util::ok();
    }
    return scaled(value, context);
  };
}

}  // namespace

void addQosOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps) {
  const lifecycle::Refresh refresh = vmRefresh(deps);
  std::vector<ParamSpec> io = {domainParam(),
                               {.name = "device",
                                .type = ParamType::String,
                                .required = true,
                                .help = "the disk: its target (vda) or its file"}};
  for (const auto& [param, name] : kIoTune) {
    io.push_back({.name = param,
                  .type = ParamType::Integer,
                  .min = 0,
                  .help = std::string(param).find("bytes") != std::string::npos
                              ? "limit in bytes per second (0: none)"
                              : "limit in I/O operations per second (0: none)"});
  }
  table.add(
      {.kind = kKind,
       .key = "tuneDiskQoS",
       .name_field = "domain",
       .params = withFlags(std::move(io)),
       .summary = "Set I/O limits of one disk (virsh blkdeviotune).",
       .handler = [&deps](const Invocation& invocation) { return tuneDiskQos(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "tuneSchedinfo",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "set",
                             .type = ParamType::String,
                             .help = "scheduler parameters \"name=value[,name=value]\", e.g. "
                                     "cpu_shares=512"},
                            {.name = "weight",
                             .type = ParamType::Integer,
                             .min = 0,
                             .help = "the scheduler's 'weight' parameter (Xen credit)"},
                            {.name = "cap",
                             .type = ParamType::Integer,
                             .min = 0,
                             .help = "the scheduler's 'cap' parameter (Xen credit)"}}),
       .summary = "Set CPU scheduler parameters (virsh schedinfo).",
       .handler = [&deps](const Invocation& invocation) { return tuneSchedinfo(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::RealLibvirtd});
  table.add(
      {.kind = kKind,
       .key = "tuneNICQoS",
       .name_field = "domain",
       .params = withFlags({domainParam(),
                            {.name = "interface",
                             .type = ParamType::String,
                             .required = true,
                             .help = "the interface: its host device name or its MAC"},
                            {.name = "inbound",
                             .type = ParamType::String,
                             .help = "average[,peak[,burst[,floor]]] in KiB/s (burst KiB)"},
                            {.name = "outbound",
                             .type = ParamType::String,
                             .help = "average[,peak[,burst]] in KiB/s (burst KiB)"}}),
       .summary = "Set the bandwidth limits of one interface (virsh domiftune).",
       .handler = [&deps](const Invocation& invocation) { return tuneNicQos(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
  std::vector<ParamSpec> memory = {domainParam()};
  for (const auto& [param, name] : kMemTune) {
    memory.push_back({.name = param,
                      .type = ParamType::String,
                      .help = "KiB, or with a unit (1G), or unlimited",
                      .validator = memoryLimitValidator()});
  }
  table.add(
      {.kind = kKind,
       .key = "tuneMemoryQoS",
       .name_field = "domain",
       .params = withFlags(std::move(memory)),
       .summary = "Set memory limits of the domain (virsh memtune).",
       .handler = [&deps](const Invocation& invocation) { return tuneMemoryQos(deps, invocation); },
       .refresh = refresh,
       .test_tier = lifecycle::TestTier::TestDriver});
}

}  // namespace univirt::virtctl::vm
