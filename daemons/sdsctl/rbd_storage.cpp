#include "sdsctl/rbd_storage.h"

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/util/log.h"
#include "sdsctl/rbd_names.h"
#include "sdsctl/rbd_secret.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

util::Error notDefined(const std::string& name) {
  return util::Error{util::ErrorCode::NotFound,
                     fmt::format("pool '{}' is not defined on this node; create it with "
                                 "createPool first",
                                 name)};
}

struct PoolXml {
  std::string type;
  std::string source_name;
};

util::Result<PoolXml> readPoolXml(const virt::StoragePool& pool) {
  auto xml = pool.xml();
  if (!xml) {
    return xml.error();
  }
  pugi::xml_document doc;
  if (!doc.load_string(xml->c_str())) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("libvirt returned unreadable XML for pool '{}'", pool.name())};
  }
  return PoolXml{.type = doc.child("pool").attribute("type").as_string(),
                 .source_name = doc.child("pool").child("source").child("name").text().as_string()};
}

// The RBD image a domain disk source names, without a snapshot suffix.
std::string imageOf(const std::string& name) {
  const auto at = name.find('@');
  return at == std::string::npos ? name : name.substr(0, at);
}

void collectRbdUsers(const std::string& domain, const std::string& xml, bool active,
                     const std::string& spec, std::vector<DiskUser>& users) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str())) {
    return;
  }
  for (auto disk : doc.child("domain").child("devices").children("disk")) {
    auto source = disk.child("source");
    if (std::string_view(source.attribute("protocol").as_string()) != "rbd" ||
        imageOf(source.attribute("name").as_string()) != spec) {
      continue;
    }
    DiskUser user{.domain = domain,
                  .target = disk.child("target").attribute("dev").as_string(),
                  .file = source.attribute("name").as_string(),
                  .active = active};
    bool known = false;
    for (const auto& seen : users) {
      known = known || (seen.domain == user.domain && seen.target == user.target);
    }
    if (!known) {
      users.push_back(std::move(user));
    }
  }
}

}  // namespace

RbdStorage::RbdStorage(ConnectionProvider connect, RbdSettings settings)
    : connect_(std::move(connect)), backend_(std::move(settings)) {}

bool RbdStorage::handles(const std::string& pool, const std::string& type) {
  auto parsed = parsePoolType(type);
  if (parsed && *parsed == PoolType::CephRbd) {
    return true;
  }
  if (pool.empty()) {
    return false;
  }
  auto connection = connect_();
  if (!connection) {
    return false;
  }
  auto found = (*connection)->lookupStoragePool(pool);
  if (!found) {
    return false;
  }
  auto xml = readPoolXml(*found);
  return xml && xml->type == "rbd";
}

util::Result<std::pair<virt::StoragePool, std::string>> RbdStorage::lookup(
    const std::string& name) {
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto pool = (*connection)->lookupStoragePool(name);
  if (!pool) {
    return notDefined(name);
  }
  auto xml = readPoolXml(*pool);
  if (!xml) {
    return xml.error();
  }
  if (xml->type != "rbd") {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' is a libvirt '{}' pool, not a cephrbd (rbd) pool; "
                                   "give the pool's own type",
                                   name, xml->type)};
  }
  if (auto valid = checkRbdName(xml->source_name, "Ceph pool"); !valid) {
    return valid.error().withContext(fmt::format("libvirt pool '{}'", name));
  }
  return std::pair{std::move(*pool), xml->source_name};
}

util::Result<PoolState> RbdStorage::poolState(const std::string& name) {
  auto found = lookup(name);
  if (!found) {
    return found.error();
  }
  auto& [pool, ceph_pool] = *found;
  auto info = pool.info();
  if (!info) {
    return info.error();
  }
  int autostart = 0;
  (void)virStoragePoolGetAutostart(pool.get(), &autostart);
  PoolState state{.name = name,
                  .type = "cephrbd",
                  .url = "rbd:" + ceph_pool,
                  .content = {},
                  .autostart = autostart != 0,
                  .active = info->active,
                  .capacity = info->capacity_bytes,
                  .allocation = info->allocation_bytes,
                  .available = info->available_bytes};
  // The cluster's own figures where it answers (libvirt's test driver invents its numbers).
  const PoolContext context{.name = name, .type = PoolType::CephRbd, .rbd_pool = ceph_pool};
  // A cluster that just started reports 0 until its manager has the OSDs' figures.
  if (auto usage = backend_.usage(context); usage && usage->capacity > 0) {
    state.capacity = usage->capacity;
    state.allocation = usage->allocation;
    state.available = usage->available;
  }
  if (auto content = backend_.content(context); content) {
    state.content = *content;
  }
  return state;
}

util::Result<PoolContext> RbdStorage::openPool(const std::string& name) {
  auto found = lookup(name);
  if (!found) {
    return found.error();
  }
  if (!found->first.isActive().value_or(false)) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' is not active; start it with startPool", name)};
  }
  PoolContext pool{.name = name, .type = PoolType::CephRbd, .rbd_pool = found->second};
  if (auto usable = backend_.checkStorage(pool); !usable) {
    return usable.error();
  }
  return pool;
}

util::Result<PoolState> RbdStorage::createPool(const CreatePoolRequest& request) {
  if (auto named = checkRbdName(request.name, "pool"); !named) {
    return named.error();
  }
  auto ceph_pool = parseRbdPoolUrl(request.url, request.source_name);
  if (!ceph_pool) {
    return ceph_pool.error();
  }
  if (!request.content.empty()) {
    if (auto named = checkRbdName(request.content, "content"); !named) {
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
  auto xml = backend_.preparePool(
      PoolRequest{.name = request.name, .type = PoolType::CephRbd, .url = "rbd:" + *ceph_pool});
  if (!xml) {
    return xml.error();
  }
  auto cluster = backend_.cluster();
  if (!cluster) {
    return cluster.error();
  }
  auto pool_xml = withCephAuth(**connection, **cluster, request.name, *xml);
  if (!pool_xml) {
    return pool_xml.error();
  }
  auto pool = (*connection)->defineStoragePool(*pool_xml);
  if (!pool) {
    (void)removePoolSecret(**connection, request.name);
    return pool.error().withContext(
        fmt::format("defining libvirt rbd pool '{}' (libvirtd needs Debian's "
                    "libvirt-daemon-driver-storage-rbd)",
                    request.name));
  }
  if (auto started = pool->start(); !started) {
    (void)pool->undefine();
    (void)removePoolSecret(**connection, request.name);
    return started.error().withContext(fmt::format("starting libvirt rbd pool '{}'", request.name));
  }
  if (virStoragePoolSetAutostart(pool->get(), request.autostart ? 1 : 0) < 0) {
    log::warn("pool autostart not set", {{"pool", request.name}});
  }
  if (!request.content.empty()) {
    const PoolContext context{
        .name = request.name, .type = PoolType::CephRbd, .rbd_pool = *ceph_pool};
    if (auto written = backend_.setContent(context, request.content); !written) {
      return written.error();
    }
  }
  return poolState(request.name);
}

util::Status RbdStorage::deletePool(const std::string& name) {
  auto found = lookup(name);
  if (!found) {
    return found.error().code == util::ErrorCode::NotFound ? util::ok()
                                                           : util::Status(found.error());
  }
  auto& [pool, ceph_pool] = *found;
  const PoolContext context{.name = name, .type = PoolType::CephRbd, .rbd_pool = ceph_pool};
  auto images = backend_.imageNames(context);
  if (!images) {
    return images.error();
  }
  if (!images->empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}' still holds {} RBD images in Ceph pool '{}' (first: "
                                   "'{}'); delete its disks and images first",
                                   name, images->size(), ceph_pool, images->front())};
  }
  if (pool.isActive().value_or(false)) {
    if (auto stopped = pool.destroy(); !stopped) {
      return stopped;
    }
  }
  if (auto undefined = pool.undefine(); !undefined) {
    return undefined;
  }
  if (auto connection = connect_(); connection) {
    if (auto removed = removePoolSecret(**connection, name); !removed) {
      return removed;
    }
  }
  return backend_.removeContent(context);
}

util::Result<PoolState> RbdStorage::startPool(const std::string& name) {
  auto found = lookup(name);
  if (!found) {
    return found.error();
  }
  const PoolContext context{.name = name, .type = PoolType::CephRbd, .rbd_pool = found->second};
  if (auto usable = backend_.checkStorage(context); !usable) {
    return usable.error();
  }
  if (!found->first.isActive().value_or(false)) {
    if (auto started = found->first.start(); !started) {
      return started.error();
    }
  }
  return poolState(name);
}

util::Result<PoolState> RbdStorage::stopPool(const std::string& name) {
  auto found = lookup(name);
  if (!found) {
    return found.error();
  }
  if (found->first.isActive().value_or(false)) {
    if (auto stopped = found->first.destroy(); !stopped) {
      return stopped.error();
    }
  }
  return poolState(name);
}

util::Result<PoolState> RbdStorage::setPoolAutostart(const std::string& name, bool autostart) {
  auto found = lookup(name);
  if (!found) {
    return found.error();
  }
  if (virStoragePoolSetAutostart(found->first.get(), autostart ? 1 : 0) < 0) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("libvirt refused to set autostart of pool '{}'", name)};
  }
  return poolState(name);
}

util::Result<std::vector<DiskUser>> RbdStorage::usersOf(const std::string& spec) {
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto domains = (*connection)->listAllDomains();
  if (!domains) {
    return domains.error();
  }
  std::vector<DiskUser> users;
  for (const auto& domain : *domains) {
    const bool active = domain.isActive().value_or(false);
    if (auto xml = domain.xml(); xml) {
      collectRbdUsers(domain.name(), *xml, active, spec, users);
    }
    if (active && domain.isPersistent().value_or(false)) {
      if (auto xml = domain.xml(VIR_DOMAIN_XML_INACTIVE); xml) {
        collectRbdUsers(domain.name(), *xml, false, spec, users);
      }
    }
  }
  return users;
}

util::Status RbdStorage::refuseIfUsed(const PoolContext& pool, const std::string& disk,
                                      std::string_view doing, bool only_running) {
  auto users = usersOf(fmt::format("{}/{}", pool.rbd_pool, disk));
  if (!users) {
    return users.error();
  }
  for (const auto& user : *users) {
    if (only_running && !user.active) {
      continue;
    }
    return util::Error{
        util::ErrorCode::InvalidArgument,
        fmt::format("{} disk '{}' is refused: domain '{}' {} it as '{}'; {} first", doing, disk,
                    user.domain, user.active ? "is running with" : "has", user.target,
                    user.active ? "stop the VirtualMachine" : "unplug the disk or delete the VM")};
  }
  return util::ok();
}

util::Result<VolumeState> RbdStorage::createDisk(const std::string& pool, const std::string& disk,
                                                 std::uint64_t bytes, const std::string& format) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  return backend_.createDisk(*context, disk, bytes, format.empty() ? "raw" : format);
}

util::Result<VolumeState> RbdStorage::resizeDisk(const std::string& pool, const std::string& disk,
                                                 std::uint64_t bytes) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "resizing", true); !free) {
    return free.error();
  }
  return backend_.resizeDisk(*context, disk, bytes);
}

util::Result<VolumeState> RbdStorage::cloneDisk(const std::string& pool, const std::string& disk,
                                                const std::string& new_disk,
                                                const std::string& format) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "cloning", true); !free) {
    return free.error();
  }
  return backend_.cloneDisk(*context, disk, new_disk, format);
}

util::Status RbdStorage::deleteDisk(const std::string& pool, const std::string& disk) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "deleting", false); !free) {
    return free;
  }
  return backend_.deleteDisk(*context, disk);
}

util::Result<VolumeState> RbdStorage::createDiskFromRbdImage(const std::string& target_pool,
                                                             const std::string& disk,
                                                             const std::string& source,
                                                             bool full_copy) {
  auto ref = parseRbdImageSpec(source);
  if (!ref) {
    return ref.error();
  }
  if (!ref->snapshot.empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("source '{}' names a snapshot; give the disk image as "
                                   "'<cephpool>/<image>'",
                                   source)};
  }
  auto context = openPool(target_pool);
  if (!context) {
    return context.error();
  }
  // The image may live in another Ceph pool of the same cluster.
  const PoolContext source_pool{
      .name = ref->pool, .type = PoolType::CephRbd, .rbd_pool = ref->pool};
  return backend_.createDiskFromImage(*context, disk, source_pool, ref->image, full_copy);
}

util::Result<VolumeState> RbdStorage::createDiskFromFile(const std::string& target_pool,
                                                         const std::string& disk,
                                                         const PoolContext& source_pool,
                                                         const fs::path& source, bool full_copy) {
  auto context = openPool(target_pool);
  if (!context) {
    return context.error();
  }
  return backend_.createDiskFromImage(*context, disk, source_pool, source, full_copy);
}

util::Result<VolumeState> RbdStorage::diskState(const std::string& pool, const std::string& disk) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  return backend_.diskState(*context, disk);
}

util::Status RbdStorage::internalSnapshot(Storage::SnapshotAction action, const std::string& pool,
                                          const std::string& disk, const std::string& snapshot) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "an internal snapshot of", true); !free) {
    return free;
  }
  switch (action) {
    case Storage::SnapshotAction::Create:
      return backend_.createInternalSnapshot(*context, disk, snapshot);
    case Storage::SnapshotAction::Delete:
      return backend_.deleteInternalSnapshot(*context, disk, snapshot);
    case Storage::SnapshotAction::Revert:
      return backend_.revertInternalSnapshot(*context, disk, snapshot);
  }
  return util::ok();
}

util::Result<VolumeState> RbdStorage::createImageFromRbd(const std::string& target_pool,
                                                         const std::string& image,
                                                         const std::string& source) {
  auto ref = parseRbdImageSpec(source);
  if (!ref) {
    return ref.error();
  }
  auto context = openPool(target_pool);
  if (!context) {
    return context.error();
  }
  const PoolContext source_pool{
      .name = ref->pool, .type = PoolType::CephRbd, .rbd_pool = ref->pool};
  return backend_.createImage(*context, image, source_pool, ref->image, "raw");
}

util::Result<VolumeState> RbdStorage::createImageFromFile(const std::string& target_pool,
                                                          const std::string& image,
                                                          const PoolContext& source_pool,
                                                          const fs::path& source,
                                                          const std::string& image_type) {
  auto context = openPool(target_pool);
  if (!context) {
    return context.error();
  }
  return backend_.createImage(*context, image, source_pool, source, image_type);
}

util::Status RbdStorage::exportDisk(const std::string& source_pool, const std::string& disk,
                                    const fs::path& file) {
  auto source = openPool(source_pool);
  if (!source) {
    return source.error();
  }
  if (auto free = refuseIfUsed(*source, disk, "copying", true); !free) {
    return free;
  }
  return backend_.exportToFile(*source, disk, "disk", file);
}

util::Result<VolumeState> RbdStorage::createImageFromDisk(const std::string& source_pool,
                                                          const std::string& disk,
                                                          const std::string& target_pool,
                                                          const std::string& image) {
  auto source = openPool(source_pool);
  if (!source) {
    return source.error();
  }
  auto target = openPool(target_pool);
  if (!target) {
    return target.error();
  }
  if (auto free = refuseIfUsed(*source, disk, "copying", true); !free) {
    return free.error();
  }
  return backend_.createImageFromDisk(*source, disk, *target, image);
}

util::Status RbdStorage::deleteImage(const std::string& pool, const std::string& image) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  auto users = usersOf(fmt::format("{}/{}", context->rbd_pool, image));
  if (!users) {
    return users.error();
  }
  if (!users->empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("deleting disk image '{}' is refused: domain '{}' uses it",
                                   image, users->front().domain)};
  }
  return backend_.deleteImage(*context, image);
}

util::Result<VolumeState> RbdStorage::externalSnapshot(Storage::SnapshotAction action,
                                                       const std::string& pool,
                                                       const std::string& disk,
                                                       const std::string& snapshot) {
  auto context = openPool(pool);
  if (!context) {
    return context.error();
  }
  if (action == Storage::SnapshotAction::Revert) {
    if (auto free = refuseIfUsed(*context, disk, "reverting", true); !free) {
      return free.error();
    }
  }
  switch (action) {
    case Storage::SnapshotAction::Create:
      return backend_.createExternalSnapshot(*context, disk, snapshot);
    case Storage::SnapshotAction::Revert:
      return backend_.revertExternalSnapshot(*context, disk, snapshot);
    case Storage::SnapshotAction::Delete:
      return backend_.deleteExternalSnapshot(*context, disk, snapshot);
  }
  return util::Error{util::ErrorCode::Internal, "unknown snapshot action"};
}

}  // namespace univirt::sdsctl
