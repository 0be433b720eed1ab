// Storage: pools through libvirt (VirtualMachinePool = libvirt storage pool of the same name).

#include <fstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/util/log.h"
#include "sdsctl/disk_layout.h"
#include "sdsctl/pool_path.h"
#include "sdsctl/rbd_storage.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

util::Result<std::string> targetPathOf(const virt::StoragePool& pool) {
  auto xml = pool.xml();
  if (!xml) {
    return xml.error();
  }
  pugi::xml_document doc;
  if (!doc.load_string(xml->c_str())) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("libvirt returned unreadable XML for pool '{}'", pool.name())};
  }
  const std::string type = doc.child("pool").attribute("type").as_string();
  const std::string path = doc.child("pool").child("target").child("path").text().as_string();
  if (path.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' is a libvirt '{}' pool without a target directory; "
                                   "sdsctl manages directory pools only",
                                   pool.name(), type)};
  }
  return path;
}

std::string readContent(const fs::path& root) {
  std::ifstream in(root / kContentFile);
  std::string content;
  std::getline(in, content);
  return content;
}

util::Error notDefined(const std::string& name) {
  return util::Error{util::ErrorCode::NotFound,
                     fmt::format("pool '{}' is not defined on this node; create it with "
                                 "createPool first",
                                 name)};
}

}  // namespace

nlohmann::json PoolState::toSpec() const {
  return {{"pool", name},
          {"type", type},
          {"url", url},
          {"content", content},
          {"autostart", autostart},
          {"state", active ? "active" : "inactive"},
          {"capacity", capacity},
          {"allocation", allocation},
          {"available", available}};
}

Storage::Storage(ConnectionProvider connect, StorageSettings settings)
    : connect_(std::move(connect)),
      settings_(std::move(settings)),
      file_backend_(settings_.file),
      rbd_(std::make_shared<RbdStorage>(connect_, settings_.rbd)) {}

util::Result<StorageBackend*> Storage::backendFor(PoolType type) {
  if (type == PoolType::CephRbd) {
    return static_cast<StorageBackend*>(&rbd_->backend());
  }
  return static_cast<StorageBackend*>(&file_backend_);
}

util::Result<PoolState> Storage::poolState(const std::string& name) {
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return notDefined(name);
  }
  if (rbd_->handles(name, "")) {
    return rbd_->poolState(name);
  }
  auto info = pool->info();
  if (!info) {
    return info.error();
  }
  auto path = targetPathOf(*pool);
  if (!path) {
    return path.error();
  }
  int autostart = 0;
  (void)virStoragePoolGetAutostart(pool->get(), &autostart);
  return PoolState{.name = name,
                   .type = {},
                   .url = *path,
                   .content = readContent(*path),
                   .autostart = autostart != 0,
                   .active = info->active,
                   .capacity = info->capacity_bytes,
                   .allocation = info->allocation_bytes,
                   .available = info->available_bytes};
}

util::Result<PoolContext> Storage::openPool(const std::string& name, const std::string& type) {
  auto parsed = parsePoolType(type);
  if (!parsed) {
    return parsed.error();
  }
  auto backend = backendFor(*parsed);
  if (!backend) {
    return backend.error();
  }
  auto state = poolState(name);
  if (!state) {
    return state.error();
  }
  if (!state->active) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' is not active; start it with startPool", name)};
  }
  auto root = canonicalPoolRoot(state->url, name);
  if (!root) {
    return root.error();
  }
  PoolContext pool{.name = name, .type = *parsed, .root = *root};
  if (auto usable = (*backend)->checkStorage(pool); !usable) {
    return usable.error();
  }
  return pool;
}

util::Result<PoolState> Storage::createPool(const CreatePoolRequest& request) {
  if (rbd_->handles({}, request.type)) {
    return rbd_->createPool(request);
  }
  if (auto named = checkObjectName(request.name, "pool"); !named) {
    return named.error();
  }
  auto type = parsePoolType(request.type);
  if (!type) {
    return type.error();
  }
  auto backend = backendFor(*type);
  if (!backend) {
    return backend.error();
  }
  if (!request.content.empty()) {
    if (auto named = checkObjectName(request.content, "content"); !named) {
      return named.error();
    }
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  if ((*connection)->lookupStoragePool(request.name)) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("pool '{}' is already defined on this node", request.name)};
  }
  auto xml =
      (*backend)->preparePool(PoolRequest{.name = request.name, .type = *type, .url = request.url});
  if (!xml) {
    return xml.error();
  }
  auto pool = (*connection)->defineStoragePool(*xml);
  if (!pool) {
    return pool.error();
  }
  if (auto started = pool->start(); !started) {
    (void)pool->undefine();
    return started.error();
  }
  if (virStoragePoolSetAutostart(pool->get(), request.autostart ? 1 : 0) < 0) {
    log::warn("pool autostart not set", {{"pool", request.name}});
  }
  auto path = targetPathOf(*pool);
  if (path && !request.content.empty()) {
    if (auto written = writeFileAtomically(fs::path(*path) / kContentFile, request.content + "\n");
        !written) {
      return written.error();
    }
  }
  auto state = poolState(request.name);
  if (state) {
    state->type = std::string(poolTypeName(*type));
  }
  return state;
}

util::Status Storage::deletePool(const std::string& name, const std::string& type) {
  if (rbd_->handles(name, type)) {
    return rbd_->deletePool(name);
  }
  auto parsed = parsePoolType(type);
  if (!parsed) {
    return parsed.error();
  }
  if (auto backend = backendFor(*parsed); !backend) {
    return backend.error();
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return util::ok();  // already gone: deleting is idempotent
  }
  auto path = targetPathOf(*pool);
  std::error_code error;
  std::vector<std::string> left;
  if (path && fs::is_directory(*path, error)) {
    for (const auto& entry : fs::directory_iterator(*path, error)) {
      if (entry.path().filename() != kContentFile) {
        left.push_back(entry.path().filename().string());
      }
    }
  }
  if (!left.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' still holds {} entries (first: '{}'); delete its "
                                   "disks and images first",
                                   name, left.size(), left.front())};
  }
  if (pool->isActive().value_or(false)) {
    if (auto stopped = pool->destroy(); !stopped) {
      return stopped;
    }
  }
  if (auto undefined = pool->undefine(); !undefined) {
    return undefined;
  }
  if (path) {
    fs::remove(fs::path(*path) / kContentFile, error);
    if (*parsed == PoolType::Dir) {
      fs::remove(*path, error);  // only if empty; a mount point of a shared pool stays
    }
  }
  return util::ok();
}

util::Result<PoolState> Storage::startPool(const std::string& name, const std::string& type) {
  if (rbd_->handles(name, type)) {
    return rbd_->startPool(name);
  }
  auto parsed = parsePoolType(type);
  if (!parsed) {
    return parsed.error();
  }
  auto backend = backendFor(*parsed);
  if (!backend) {
    return backend.error();
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return notDefined(name);
  }
  auto path = targetPathOf(*pool);
  if (!path) {
    return path.error();
  }
  auto root = canonicalPoolRoot(*path, name);
  if (!root) {
    return root.error();
  }
  if (auto usable = (*backend)->checkStorage({.name = name, .type = *parsed, .root = *root});
      !usable) {
    return usable.error();
  }
  if (!pool->isActive().value_or(false)) {
    if (auto started = pool->start(); !started) {
      return started.error();
    }
  }
  return poolState(name);
}

util::Result<PoolState> Storage::stopPool(const std::string& name, const std::string& type) {
  if (rbd_->handles(name, type)) {
    return rbd_->stopPool(name);
  }
  if (auto parsed = parsePoolType(type); !parsed) {
    return parsed.error();
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return notDefined(name);
  }
  if (pool->isActive().value_or(false)) {
    if (auto stopped = pool->destroy(); !stopped) {
      return stopped.error();
    }
  }
  return poolState(name);
}

util::Result<PoolState> Storage::setPoolAutostart(const std::string& name, const std::string& type,
                                                  bool autostart) {
  if (rbd_->handles(name, type)) {
    return rbd_->setPoolAutostart(name, autostart);
  }
  if (auto parsed = parsePoolType(type); !parsed) {
    return parsed.error();
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return notDefined(name);
  }
  if (virStoragePoolSetAutostart(pool->get(), autostart ? 1 : 0) < 0) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("libvirt refused to set autostart of pool '{}'", name)};
  }
  return poolState(name);
}

util::Result<std::pair<PoolContext, fs::path>> Storage::resolveSource(const std::string& path) {
  const fs::path raw(path);
  if (!raw.is_absolute()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("source '{}' is refused: it is not an absolute path", path)};
  }
  for (const auto& part : raw) {
    if (part == "..") {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("source '{}' is refused: it contains '..'", path)};
    }
  }
  const fs::path given = raw.lexically_normal();
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pools = (*connection)->listAllStoragePools();
  if (pools) {
    for (const auto& pool : *pools) {
      auto target = targetPathOf(pool);
      if (!target) {
        continue;
      }
      std::error_code error;
      const fs::path root = fs::weakly_canonical(*target, error);
      if (error || !isInside(root, given)) {
        continue;
      }
      auto checked = checkUserPathInPool(root, path, pool.name());
      if (!checked) {
        return checked.error();
      }
      return std::pair{PoolContext{.name = pool.name(), .type = PoolType::Dir, .root = root},
                       *checked};
    }
  }
  for (const auto& root_text : settings_.path_roots) {
    std::error_code error;
    const fs::path root = fs::weakly_canonical(root_text, error);
    if (error || !isInside(root, given)) {
      continue;
    }
    auto checked = checkUserPathInPool(root, path, root_text);
    if (!checked) {
      return checked.error();
    }
    return std::pair{PoolContext{.name = {}, .type = PoolType::Dir, .root = root}, *checked};
  }
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("source '{}' is refused: it lies inside no storage pool of this "
                                 "node and under no configured path root",
                                 path)};
}

}  // namespace univirt::sdsctl
