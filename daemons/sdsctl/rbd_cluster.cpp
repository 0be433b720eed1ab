#include "sdsctl/rbd_cluster.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

namespace univirt::sdsctl {
namespace {

util::ErrorCode codeOf(int code) {
  switch (-code) {
    case ENOENT:
      return util::ErrorCode::NotFound;
    case EEXIST:
      return util::ErrorCode::AlreadyExists;
    case EBUSY:
    case ENOTEMPTY:
      return util::ErrorCode::Conflict;
    case ETIMEDOUT:
      return util::ErrorCode::Timeout;
    case EPERM:
    case EACCES:
      return util::ErrorCode::PermissionDenied;
    case EINVAL:
    case ERANGE:
    case EDOM:
      return util::ErrorCode::InvalidArgument;
    case ENOTCONN:
    case ESHUTDOWN:
    case ECONNREFUSED:
      return util::ErrorCode::Unavailable;
    default:
      return util::ErrorCode::Internal;
  }
}

}  // namespace

util::Error cephError(int code, std::string_view what) {
  return util::Error{codeOf(code),
                     fmt::format("{} failed: {} (errno {})", what, std::strerror(-code), -code)};
}

RbdCluster::RbdCluster(RbdSettings settings) : settings_(std::move(settings)) {}

RbdCluster::~RbdCluster() {
  if (connected_) {
    rados_.shutdown();
  }
}

util::Result<std::shared_ptr<RbdCluster>> RbdCluster::connect(const RbdSettings& settings) {
  std::shared_ptr<RbdCluster> cluster(new RbdCluster(settings));
  librados::Rados& rados = cluster->rados_;
  if (int r = rados.init(settings.client_id.c_str()); r < 0) {
    return cephError(r, fmt::format("initialising Ceph client '{}'", settings.client_id));
  }
  // init() succeeded: the handle must be shut down even if connecting fails.
  cluster->connected_ = true;
  if (int r = rados.conf_read_file(settings.conf.c_str()); r < 0) {
    return cephError(r, fmt::format("reading Ceph configuration '{}' (set the ceph.conf path "
                                    "with --ceph-conf)",
                                    settings.conf));
  }
  const std::string timeout = std::to_string(settings.timeout_seconds);
  for (const char* option :
       {"client_mount_timeout", "rados_mon_op_timeout", "rados_osd_op_timeout"}) {
    (void)rados.conf_set(option, timeout.c_str());
  }
  if (!settings.keyring.empty()) {
    if (int r = rados.conf_set("keyring", settings.keyring.c_str()); r < 0) {
      return cephError(r, fmt::format("using keyring '{}'", settings.keyring));
    }
  }
  if (int r = rados.connect(); r < 0) {
    return cephError(r, fmt::format("connecting to the Ceph cluster of '{}' as client.{} (are "
                                    "its monitors running and reachable?)",
                                    settings.conf, settings.client_id));
  }
  return cluster;
}

util::Result<std::shared_ptr<RbdCluster>> RbdCluster::shared(const RbdSettings& settings) {
  using Key = std::tuple<std::string, std::string, std::string>;
  // Never destroyed: librados' own globals may be gone at static destruction time.
  static auto* mutex = new std::mutex;
  static auto* cache = new std::map<Key, std::shared_ptr<RbdCluster>>;
  const Key key{settings.conf, settings.client_id, settings.keyring};
  std::lock_guard lock(*mutex);
  if (auto it = cache->find(key); it != cache->end()) {
    return it->second;
  }
  auto cluster = connect(settings);
  if (!cluster) {
    return cluster.error();
  }
  cache->emplace(key, *cluster);
  return *cluster;
}

std::string RbdCluster::monHost() {
  std::string value;
  (void)rados_.conf_get("mon_host", value);
  return value;
}

util::Result<librados::IoCtx> RbdCluster::ioctx(const std::string& pool) {
  librados::IoCtx io;
  if (int r = rados_.ioctx_create(pool.c_str(), io); r < 0) {
    if (r == -ENOENT) {
      return util::Error{util::ErrorCode::NotFound,
                         fmt::format("Ceph pool '{}' does not exist in the cluster of '{}'; "
                                     "create it (ceph osd pool create {} && rbd pool init {})",
                                     pool, settings_.conf, pool, pool)};
    }
    return cephError(r, fmt::format("opening Ceph pool '{}'", pool));
  }
  return io;
}

util::Result<RbdPoolUsage> RbdCluster::usage(const std::string& pool) {
  librados::cluster_stat_t cluster{};
  if (int r = rados_.cluster_stat(cluster); r < 0) {
    return cephError(r, "reading the Ceph cluster's usage");
  }
  std::map<std::string, librados::pool_stat_t> stats;
  std::list<std::string> pools{pool};
  if (int r = rados_.get_pool_stats(pools, stats); r < 0) {
    return cephError(r, fmt::format("reading the usage of Ceph pool '{}'", pool));
  }
  RbdPoolUsage usage{
      .capacity = cluster.kb * 1024, .allocation = 0, .available = cluster.kb_avail * 1024};
  if (auto it = stats.find(pool); it != stats.end()) {
    usage.allocation = it->second.num_bytes;
  }
  return usage;
}

}  // namespace univirt::sdsctl
