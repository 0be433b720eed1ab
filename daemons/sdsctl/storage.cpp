#include "sdsctl/storage.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "sdsctl/capacity.h"
#include "sdsctl/disk_layout.h"
#include "sdsctl/pool_path.h"
#include "sdsctl/rbd_names.h"
#include "sdsctl/rbd_storage.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string>& diskFormats() {
  static const std::vector<std::string> kFormats = {"qcow2", "raw"};
  return kFormats;
}

util::Status checkFormat(const std::string& format) {
  for (const auto& known : diskFormats()) {
    if (format == known) {
      return util::ok();
    }
  }
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("disk format '{}' is not supported; use qcow2 or raw", format)};
}

void collectUsers(const std::string& domain, const std::string& xml, bool active,
                  const fs::path& dir, std::vector<DiskUser>& users) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str())) {
    return;
  }
  for (auto disk : doc.child("domain").child("devices").children("disk")) {
    const std::string file = disk.child("source").attribute("file").as_string();
    if (file.empty() || !isInside(dir, fs::path(file).lexically_normal())) {
      continue;
    }
    DiskUser user{.domain = domain,
                  .target = disk.child("target").attribute("dev").as_string(),
                  .file = file,
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

nlohmann::json volumeSpec(const VolumeState& state, std::string_view type) {
  nlohmann::json volume = {{"pool", state.pool},
                           {"disk", state.name},
                           {"current", state.current.string()},
                           {"format", state.format},
                           {"capacity", state.virtual_size},
                           {"allocation", state.actual_size},
                           {"type", type.empty() ? "localfs" : std::string(type)}};
  if (!state.backing_file.empty()) {
    volume["full_backing_filename"] = state.backing_file;
  }
  return volume;
}

util::Result<std::vector<DiskUser>> Storage::usersOf(const fs::path& dir) {
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
      collectUsers(domain.name(), *xml, active, dir, users);
    }
    if (active && domain.isPersistent().value_or(false)) {
      if (auto xml = domain.xml(VIR_DOMAIN_XML_INACTIVE); xml) {
        collectUsers(domain.name(), *xml, false, dir, users);
      }
    }
  }
  return users;
}

util::Status Storage::refuseIfUsed(const PoolContext& pool, const std::string& disk,
                                   std::string_view doing, bool only_running) {
  auto dir = volumeDir(pool, disk, "disk");
  if (!dir) {
    return dir.error();
  }
  auto users = usersOf(*dir);
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

util::Result<VolumeState> Storage::createDisk(const std::string& pool, const std::string& type,
                                              const std::string& disk, const std::string& capacity,
                                              const std::string& format) {
  auto bytes = parseCapacity(capacity);
  if (!bytes) {
    return bytes.error();
  }
  if (rbd_->handles(pool, type)) {
    return rbd_->createDisk(pool, disk, *bytes, format);
  }
  const std::string chosen = format.empty() ? "qcow2" : format;
  if (auto known = checkFormat(chosen); !known) {
    return known.error();
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  return file_backend_.createDisk(*context, disk, *bytes, chosen);
}

util::Result<VolumeState> Storage::resizeDisk(const std::string& pool, const std::string& type,
                                              const std::string& disk,
                                              const std::string& capacity) {
  auto bytes = parseCapacity(capacity);
  if (!bytes) {
    return bytes.error();
  }
  if (rbd_->handles(pool, type)) {
    return rbd_->resizeDisk(pool, disk, *bytes);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "resizing", true); !free) {
    return free.error();
  }
  return file_backend_.resizeDisk(*context, disk, *bytes);
}

util::Result<VolumeState> Storage::cloneDisk(const std::string& pool, const std::string& type,
                                             const std::string& disk, const std::string& new_disk,
                                             const std::string& format) {
  if (rbd_->handles(pool, type)) {
    return rbd_->cloneDisk(pool, disk, new_disk, format);
  }
  if (!format.empty()) {
    if (auto known = checkFormat(format); !known) {
      return known.error();
    }
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "cloning", true); !free) {
    return free.error();
  }
  return file_backend_.cloneDisk(*context, disk, new_disk, format);
}

util::Status Storage::deleteDisk(const std::string& pool, const std::string& type,
                                 const std::string& disk) {
  if (rbd_->handles(pool, type)) {
    return rbd_->deleteDisk(pool, disk);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  if (auto free = refuseIfUsed(*context, disk, "deleting", false); !free) {
    return free;
  }
  return file_backend_.deleteDisk(*context, disk);
}

util::Result<VolumeState> Storage::createDiskFromImage(const std::string& target_pool,
                                                       const std::string& type,
                                                       const std::string& disk,
                                                       const std::string& source, bool full_copy) {
  if (rbd_->handles(target_pool, type)) {
    if (looksLikeRbdSpec(source)) {
      return rbd_->createDiskFromRbdImage(target_pool, disk, source, full_copy);
    }
    auto file = resolveSource(source);
    if (!file) {
      return file.error();
    }
    return rbd_->createDiskFromFile(target_pool, disk, file->first, file->second, full_copy);
  }
  auto context = openPool(target_pool, type);
  if (!context) {
    return context.error();
  }
  auto resolved = resolveSource(source);
  if (!resolved) {
    return resolved.error();
  }
  return file_backend_.createDiskFromImage(*context, disk, resolved->first, resolved->second,
                                           full_copy);
}

util::Result<VolumeState> Storage::diskState(const std::string& pool, const std::string& type,
                                             const std::string& disk) {
  if (rbd_->handles(pool, type)) {
    return rbd_->diskState(pool, disk);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  return file_backend_.diskState(*context, disk);
}

util::Status Storage::internalSnapshot(SnapshotAction action, const std::string& pool,
                                       const std::string& type, const std::string& disk,
                                       const std::string& snapshot) {
  if (rbd_->handles(pool, type)) {
    return rbd_->internalSnapshot(action, pool, disk, snapshot);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  // qemu-img must not write a disk a running guest has open.
  if (auto free = refuseIfUsed(*context, disk, "an internal snapshot of", true); !free) {
    return free;
  }
  switch (action) {
    case SnapshotAction::Create:
      return file_backend_.createInternalSnapshot(*context, disk, snapshot);
    case SnapshotAction::Delete:
      return file_backend_.deleteInternalSnapshot(*context, disk, snapshot);
    case SnapshotAction::Revert:
      return file_backend_.revertInternalSnapshot(*context, disk, snapshot);
  }
  return util::ok();
}

util::Result<VolumeState> Storage::createImage(const std::string& target_pool,
                                               const std::string& type, const std::string& image,
                                               const std::string& source,
                                               const std::string& image_type) {
  const std::string kind = image_type.empty() ? "qcow2" : image_type;
  if (kind != "qcow2" && kind != "iso") {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("imageType '{}' is not supported; use qcow2 or iso", kind)};
  }
  if (rbd_->handles(target_pool, type)) {
    if (looksLikeRbdSpec(source)) {
      return rbd_->createImageFromRbd(target_pool, image, source);
    }
    auto file = resolveSource(source);
    if (!file) {
      return file.error();
    }
    return rbd_->createImageFromFile(target_pool, image, file->first, file->second, kind);
  }
  auto context = openPool(target_pool, type);
  if (!context) {
    return context.error();
  }
  auto resolved = resolveSource(source);
  if (!resolved) {
    return resolved.error();
  }
  return file_backend_.createImage(*context, image, resolved->first, resolved->second, kind);
}

util::Result<VolumeState> Storage::createImageFromDisk(const std::string& source_pool,
                                                       const std::string& disk,
                                                       const std::string& target_pool,
                                                       const std::string& type,
                                                       const std::string& image) {
  if (rbd_->handles(source_pool, type)) {
    if (rbd_->handles(target_pool, {})) {
      return rbd_->createImageFromDisk(source_pool, disk, target_pool, image);
    }
    // An RBD disk into a directory pool: exported through librbd as a raw image file. The
    // request's type names the source pool's type; the target is a directory pool.
    auto target = openPool(target_pool, {});
    if (!target) {
      return target.error();
    }
    return file_backend_.fillImage(*target, image, [&](const fs::path& file) {
      return rbd_->exportDisk(source_pool, disk, file);
    });
  }
  auto source = openPool(source_pool, type);
  if (!source) {
    return source.error();
  }
  auto target = openPool(target_pool, type);
  if (!target) {
    return target.error();
  }
  if (auto free = refuseIfUsed(*source, disk, "copying", true); !free) {
    return free.error();
  }
  return file_backend_.createImageFromDisk(*source, disk, *target, image);
}

util::Status Storage::deleteImage(const std::string& pool, const std::string& type,
                                  const std::string& image) {
  if (rbd_->handles(pool, type)) {
    return rbd_->deleteImage(pool, image);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  auto dir = volumeDir(*context, image, "disk image");
  if (!dir) {
    return dir.error();
  }
  auto users = usersOf(*dir);
  if (!users) {
    return users.error();
  }
  if (!users->empty()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("deleting disk image '{}' is refused: domain '{}' uses it",
                                   image, users->front().domain)};
  }
  return file_backend_.deleteImage(*context, image);
}

util::Result<VolumeState> Storage::externalSnapshot(SnapshotAction action, const std::string& pool,
                                                    const std::string& type,
                                                    const std::string& disk,
                                                    const std::string& snapshot) {
  if (rbd_->handles(pool, type)) {
    return rbd_->externalSnapshot(action, pool, disk, snapshot);
  }
  auto context = openPool(pool, type);
  if (!context) {
    return context.error();
  }
  if (auto named = checkObjectName(snapshot, "snapshot"); !named) {
    return named.error();
  }
  auto dir = volumeDir(*context, disk, "disk");
  if (!dir) {
    return dir.error();
  }
  auto users = usersOf(*dir);
  if (!users) {
    return users.error();
  }
  const DiskUser* running = nullptr;
  for (const auto& user : *users) {
    if (user.active) {
      running = &user;
    }
  }
  if (action == SnapshotAction::Create && running != nullptr) {
    return createLiveSnapshot(*context, disk, snapshot, *running);
  }
  if (running != nullptr) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("{} external snapshot '{}' of disk '{}' needs domain '{}' "
                                   "stopped; stop the VirtualMachine and request it again",
                                   action == SnapshotAction::Revert ? "reverting to" : "deleting",
                                   snapshot, disk, running->domain)};
  }
  util::Result<VolumeState> done = util::Error{util::ErrorCode::Internal, "no action"};
  switch (action) {
    case SnapshotAction::Create:
      done = file_backend_.createExternalSnapshot(*context, disk, snapshot);
      break;
    case SnapshotAction::Revert:
      done = file_backend_.revertExternalSnapshot(*context, disk, snapshot);
      break;
    case SnapshotAction::Delete:
      done = file_backend_.deleteExternalSnapshot(*context, disk, snapshot);
      break;
  }
  if (!done) {
    return done;
  }
  // A stopped VM that has the disk must open the new current file at its next start.
  for (const auto& user : *users) {
    if (user.file != done->current.string()) {
      if (auto moved = retargetDisk(user, done->current); !moved) {
        return moved.error();
      }
    }
  }
  return done;
}

util::Status Storage::retargetDisk(const DiskUser& user, const fs::path& current) {
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto domain = (*connection)->lookupDomain(user.domain);
  if (!domain) {
    return domain.error();
  }
  auto xml = domain->xml(VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  if (!xml) {
    return xml.error();
  }
  pugi::xml_document doc;
  if (!doc.load_string(xml->c_str())) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("libvirt returned unreadable XML for domain '{}'", user.domain)};
  }
  bool changed = false;
  for (auto device : doc.child("domain").child("devices").children("disk")) {
    auto source = device.child("source").attribute("file");
    if (source && user.file == source.as_string()) {
      source.set_value(current.c_str());
      changed = true;
    }
  }
  if (!changed) {
    return util::ok();
  }
  std::ostringstream text;
  doc.save(text, "", pugi::format_raw | pugi::format_no_declaration);
  auto defined = (*connection)->defineDomain(text.str());
  if (!defined) {
    return defined.error().withContext(fmt::format(
        "the disk's current file is now '{}' but domain '{}' could not be pointed at it",
        current.string(), user.domain));
  }
  return util::ok();
}

util::Result<VolumeState> Storage::createLiveSnapshot(const PoolContext& pool,
                                                      const std::string& disk,
                                                      const std::string& snapshot,
                                                      const DiskUser& user) {
  auto overlay = volumeFile(pool, disk, snapshot, "snapshot");
  if (!overlay) {
    return overlay.error();
  }
  std::error_code error;
  if (fs::exists(fs::symlink_status(*overlay, error)) || snapshot == disk ||
      snapshot == kConfigFile) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("snapshot '{}' of disk '{}' already exists", snapshot, disk)};
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto domain = (*connection)->lookupDomain(user.domain);
  if (!domain) {
    return domain.error();
  }
  auto xml = domain->xml();
  if (!xml) {
    return xml.error();
  }
  // Only this disk gets an overlay; every other disk of the domain is left alone.
  pugi::xml_document live;
  live.load_string(xml->c_str());
  pugi::xml_document request;
  auto root = request.append_child("domainsnapshot");
  root.append_child("name").text() = snapshot.c_str();
  auto disks = root.append_child("disks");
  for (auto device : live.child("domain").child("devices").children("disk")) {
    const std::string target = device.child("target").attribute("dev").as_string();
    auto entry = disks.append_child("disk");
    entry.append_attribute("name") = target.c_str();
    if (target == user.target) {
      entry.append_attribute("snapshot") = "external";
      auto source = entry.append_child("source");
      source.append_attribute("file") = overlay->c_str();
      entry.append_child("driver").append_attribute("type") = "qcow2";
    } else {
      entry.append_attribute("snapshot") = "no";
    }
  }
  std::ostringstream text;
  request.save(text, "", pugi::format_raw | pugi::format_no_declaration);
  auto made = domain->createSnapshot(text.str(), VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                                                     VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
                                                     VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
  if (!made) {
    return made.error().withContext(fmt::format(
        "creating snapshot '{}' of disk '{}' live in domain '{}'", snapshot, disk, user.domain));
  }
  if (auto set = file_backend_.setCurrent(pool, disk, *overlay); !set) {
    return set.error();
  }
  return file_backend_.diskState(pool, disk);
}

}  // namespace univirt::sdsctl
