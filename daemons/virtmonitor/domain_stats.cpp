#include "virtmonitor/domain_stats.h"

#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/virt/handles.h"
#include "core/virt/virt_error.h"

namespace univirt::virtmonitor {
namespace {

// Frees the array virConnectGetAllDomainStats returns, with the records in it.
struct StatsArray {
  virDomainStatsRecordPtr* records = nullptr;
  StatsArray() = default;
  StatsArray(const StatsArray&) = delete;
  StatsArray& operator=(const StatsArray&) = delete;
  ~StatsArray() {
    if (records != nullptr) {
      virDomainStatsRecordListFree(records);
    }
  }
};

std::optional<double> numberOf(const virTypedParameter& param) {
  switch (param.type) {
    case VIR_TYPED_PARAM_INT:
      return static_cast<double>(param.value.i);
    case VIR_TYPED_PARAM_UINT:
      return static_cast<double>(param.value.ui);
    case VIR_TYPED_PARAM_LLONG:
      return static_cast<double>(param.value.l);
    case VIR_TYPED_PARAM_ULLONG:
      return static_cast<double>(param.value.ul);
    case VIR_TYPED_PARAM_DOUBLE:
      return param.value.d;
    case VIR_TYPED_PARAM_BOOLEAN:
      return param.value.b != 0 ? 1.0 : 0.0;
    default:
      return std::nullopt;
  }
}

// "net.3.rx.bytes" → index 3, rest "rx.bytes"; nullopt when the second part is no number.
std::optional<std::pair<unsigned int, std::string_view>> splitIndexed(std::string_view tail) {
  const std::size_t dot = tail.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  unsigned int index = 0;
  auto [end, ec] = std::from_chars(tail.data(), tail.data() + dot, index);
  if (ec != std::errc{} || end != tail.data() + dot) {
    return std::nullopt;
  }
  return std::pair{index, tail.substr(dot + 1)};
}

DeviceStats& deviceAt(std::vector<DeviceStats>& devices, unsigned int index) {
  for (DeviceStats& device : devices) {
    if (device.index == index) {
      return device;
    }
  }
  devices.push_back(DeviceStats{.index = index, .name = {}, .path = {}, .fields = {}});
  return devices.back();
}

void addParam(DomainStats& stats, const virTypedParameter& param) {
  const std::string_view name(param.field);
  const std::size_t dot = name.find('.');
  const std::string_view group = name.substr(0, dot);
  std::vector<DeviceStats>* devices = group == "vcpu"    ? &stats.vcpus
                                      : group == "net"   ? &stats.nets
                                      : group == "block" ? &stats.blocks
                                                         : nullptr;
  if (devices != nullptr && dot != std::string_view::npos) {
    if (auto indexed = splitIndexed(name.substr(dot + 1)); indexed.has_value()) {
      DeviceStats& device = deviceAt(*devices, indexed->first);
      const std::string_view key = indexed->second;
      if (param.type == VIR_TYPED_PARAM_STRING) {
        if (key == "name") {
          device.name = param.value.s;
        } else if (key == "path") {
          device.path = param.value.s;
        }
        return;
      }
      if (auto number = numberOf(param); number.has_value()) {
        device.fields.insert_or_assign(std::string(key), *number);
      }
      return;
    }
  }
  auto number = numberOf(param);
  if (!number.has_value()) {
    return;
  }
  if (name == "state.state") {
    stats.state = static_cast<int>(*number);
  } else if (name == "state.reason") {
    stats.reason = static_cast<int>(*number);
  }
  stats.fields.insert_or_assign(std::string(name), *number);
}

// Without the job, libvirt still reports what it knows without asking QEMU (disk capacity
// from the definition, the balloon target); the I/O counters and guest memory figures need
// the monitor. Their absence on an active domain is how NOWAIT shows a busy job lock.
bool missesJobStats(const DomainStats& stats) {
  if (!stats.active()) {
    return false;
  }
  bool has_blocks = false;
  for (const DeviceStats& block : stats.blocks) {
    if (block.path.empty()) {
      continue;  // an empty CD-ROM drive has no I/O counters even with the job
    }
    has_blocks = true;
    if (block.fields.contains("rd.reqs")) {
      return false;
    }
  }
  return has_blocks;
}

}  // namespace

std::optional<double> field(const Fields& fields, std::string_view name) {
  auto it = fields.find(name);
  if (it == fields.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool DomainStats::active() const {
  return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED || state == VIR_DOMAIN_PAUSED ||
         state == VIR_DOMAIN_SHUTDOWN || state == VIR_DOMAIN_PMSUSPENDED;
}

DomainStats parseDomainStats(const virDomainStatsRecord& record) {
  DomainStats stats;
  if (record.dom != nullptr) {
    const char* name = virDomainGetName(record.dom);
    stats.name = name != nullptr ? name : "";
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(record.dom, uuid) == 0) {
      stats.uuid = uuid;
    }
  }
  for (int i = 0; i < record.nparams; ++i) {
    addParam(stats, record.params[i]);
  }
  stats.timed_out = missesJobStats(stats);
  return stats;
}

util::Result<std::vector<DomainStats>> collectDomainStats(const virt::Connection& connection) {
  StatsArray array;
  const int count =
      virConnectGetAllDomainStats(connection.get(), kStatsGroups, &array.records, kStatsFlags);
  if (count < 0) {
    return virt::lastError("collecting the statistics of every domain");
  }
  std::vector<DomainStats> domains;
  domains.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    domains.push_back(parseDomainStats(*array.records[i]));
  }
  return domains;
}

util::Result<std::vector<StoragePoolStats>> collectStoragePools(
    const virt::Connection& connection, std::map<std::string, std::string>& types) {
  auto pools = connection.listAllStoragePools();
  if (!pools.has_value()) {
    return std::move(pools).error();
  }
  std::vector<StoragePoolStats> result;
  result.reserve(pools->size());
  for (const virt::StoragePool& pool : *pools) {
    auto info = pool.info();
    if (!info.has_value()) {
      continue;  // undefined between the list and the info call
    }
    auto type = types.find(pool.uuid());
    if (type == types.end()) {
      std::string kind;
      if (auto xml = pool.xml(); xml.has_value()) {
        pugi::xml_document doc;
        if (doc.load_string(xml->c_str())) {
          kind = doc.child("pool").attribute("type").as_string();
        }
      }
      type = types.emplace(pool.uuid(), std::move(kind)).first;
    }
    result.push_back(
        StoragePoolStats{.name = pool.name(),
                         .uuid = pool.uuid(),
                         .type = type->second,
                         .active = info->active,
                         .capacity_bytes = static_cast<double>(info->capacity_bytes),
                         .allocation_bytes = static_cast<double>(info->allocation_bytes),
                         .available_bytes = static_cast<double>(info->available_bytes)});
  }
  return result;
}

}  // namespace univirt::virtmonitor
