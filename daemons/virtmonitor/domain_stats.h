#pragma once

// One refresh's view of libvirt: every domain's statistics from a single
// virConnectGetAllDomainStats call, plus the node's storage pools.
//
// The bulk call asks for the groups state, cpu-total, balloon, vcpu, interface and block with
// VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: a domain whose job lock is held (migration, a
// stuck monitor) is answered from what libvirt has without its monitor instead of blocking
// the call, so one bad domain cannot stall the refresh. Such a domain is marked timed_out.
//
// Values are kept as libvirt names and reports them ("cpu.time" in ns, "balloon.current" in
// KiB, "block.0.rd.bytes"), split into per-domain fields and per-device fields, so the metric
// families (families.h) are tables over these names.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libvirt/libvirt.h>

#include "core/util/result.h"
#include "core/virt/connection.h"

namespace univirt::virtmonitor {

// Numeric fields by their libvirt name without the group index: "cpu.time", "rx.bytes".
using Fields = std::map<std::string, double, std::less<>>;

std::optional<double> field(const Fields& fields, std::string_view name);

// One vCPU, NIC or disk: "vcpu.<index>.*", "net.<index>.*", "block.<index>.*".
struct DeviceStats {
  unsigned int index = 0;
  std::string name;  // net/block: the target device (vnet0, vda); vcpu: empty
  std::string path;  // block: the source file or volume, when libvirt reports one
  Fields fields;     // "rx.bytes", "rd.reqs", "time", "state", ...
};

struct DomainStats {
  std::string name;
  std::string uuid;
  int state = VIR_DOMAIN_NOSTATE;  // virDomainState
  int reason = 0;
  Fields fields;  // "cpu.time", "balloon.current", "vcpu.current", ...
  std::vector<DeviceStats> vcpus;
  std::vector<DeviceStats> nets;
  std::vector<DeviceStats> blocks;
  // Active, but the statistics that need the domain's job (disk I/O, guest memory) are
  // missing: libvirt could not take the job lock without waiting.
  bool timed_out = false;

  bool active() const;
};

struct StoragePoolStats {
  std::string name;
  std::string uuid;
  std::string type;  // the pool XML's type attribute: dir, logical, rbd, ...
  bool active = false;
  double capacity_bytes = 0;
  double allocation_bytes = 0;
  double available_bytes = 0;
};

struct Snapshot {
  std::chrono::steady_clock::time_point taken{};
  std::vector<DomainStats> domains;
  std::vector<StoragePoolStats> pools;
};

// The stats groups asked for, and the flags of the bulk call.
inline constexpr unsigned int kStatsGroups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                             VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                                             VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
inline constexpr unsigned int kStatsFlags = VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;

// Turns one record of the bulk call into DomainStats (also sets timed_out).
DomainStats parseDomainStats(const virDomainStatsRecord& record);

// The one bulk call. Fails with libvirt's message (Unavailable when the connection is gone).
util::Result<std::vector<DomainStats>> collectDomainStats(const virt::Connection& connection);

// Storage pools: one list call plus one info call per pool; a pool's type is read from its
// XML once per UUID and remembered in `types` (pools are few and never change type).
util::Result<std::vector<StoragePoolStats>> collectStoragePools(
    const virt::Connection& connection, std::map<std::string, std::string>& types);

}  // namespace univirt::virtmonitor
