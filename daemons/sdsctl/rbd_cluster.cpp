#include "sdsctl/rbd_cluster.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

namespace {

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// `key = …` of section [<entity>] in a keyring file; empty when absent.
std::string keyFromKeyring(const std::string& path, const std::string& entity) {
  std::ifstream in(path);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    const std::string text = trim(line);
    if (text.empty() || text.front() == '#' || text.front() == ';') {
      continue;
    }
    if (text.front() == '[') {
      inside = text == "[" + entity + "]";
      continue;
    }
    const auto equals = text.find('=');
    if (inside && equals != std::string::npos && trim(text.substr(0, equals)) == "key") {
      return trim(text.substr(equals + 1));
    }
  }
  return {};
}

bool mentions(const std::string& list, std::string_view word) {
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (trim(item) == word) {
      return true;
    }
  }
  return false;
}

}  // namespace

util::Result<std::optional<CephxKey>> RbdCluster::cephxKey() {
  std::string required;
  (void)rados_.conf_get("auth_client_required", required);
  if (!mentions(required, "cephx")) {
    return std::optional<CephxKey>{};
  }
  const std::string entity = "client." + settings_.client_id;
  CephxKey found{.user = settings_.client_id, .key_base64 = {}};
  std::string value;
  if (rados_.conf_get("key", value) == 0 && !trim(value).empty()) {
    found.key_base64 = trim(value);
  }
  if (found.key_base64.empty() && rados_.conf_get("keyfile", value) == 0 && !trim(value).empty()) {
    std::ifstream in(trim(value));
    std::getline(in, found.key_base64);
    found.key_base64 = trim(found.key_base64);
  }
  if (found.key_base64.empty() && rados_.conf_get("keyring", value) == 0) {
    std::stringstream paths(value);
    std::string path;
    while (found.key_base64.empty() && std::getline(paths, path, ',')) {
      found.key_base64 = keyFromKeyring(trim(path), entity);
    }
  }
  if (found.key_base64.empty()) {
    // The monitors know it when this client may read auth entries.
    const std::string command =
        nlohmann::json{{"prefix", "auth get-key"}, {"entity", entity}, {"format", "json"}}.dump();
    librados::bufferlist in;
    librados::bufferlist out;
    std::string status;
    if (rados_.mon_command(command, in, &out, &status) == 0) {
      auto parsed = nlohmann::json::parse(out.to_str(), nullptr, false);
      if (parsed.is_object() && parsed.contains("key") && parsed["key"].is_string()) {
        found.key_base64 = parsed["key"].get<std::string>();
      }
    }
  }
  if (found.key_base64.empty()) {
    if (mentions(required, "none")) {
      return std::optional<CephxKey>{};  // connected without a key: the cluster has auth off
    }
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("the Ceph cluster of '{}' requires cephx but no key of {} was "
                                   "found (key, keyfile, keyring or the monitors); pass "
                                   "--ceph-keyring",
                                   settings_.conf, entity)};
  }
  return std::optional<CephxKey>{std::move(found)};
}

}  // namespace univirt::sdsctl
