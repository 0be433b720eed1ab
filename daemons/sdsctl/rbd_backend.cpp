#include "sdsctl/rbd_backend.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "sdsctl/rbd_names.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;
namespace {

std::string specOf(const PoolContext& pool, const std::string& name) {
  return fmt::format("{}/{}", pool.rbd_pool, name);
}

// QEMU's rbd: syntax separates options with ':'; a ':' or '\' inside a value is escaped.
std::string escapeOption(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ':' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

struct MonAddress {
  std::string host;
  std::string port;
};

// `mon host` ("[v2:1.2.3.4:3300,v1:1.2.3.4:6789] [..]", "a:6789,b") → the addresses libvirt's
// <host> takes: the v1 ones when there are any (libvirt passes host:port without a protocol).
std::vector<MonAddress> monAddresses(const std::string& mon_host) {
  std::vector<std::string> v1;
  std::vector<std::string> other;
  std::string token;
  auto flush = [&]() {
    if (token.empty()) {
      return;
    }
    if (token.starts_with("v1:")) {
      v1.push_back(token.substr(3));
    } else if (token.starts_with("v2:")) {
      other.push_back(token.substr(3));
    } else {
      other.push_back(token);
    }
    token.clear();
  };
  for (char c : mon_host) {
    if (c == ',' || c == ' ' || c == '[' || c == ']' || c == ';') {
      flush();
    } else {
      token.push_back(c);
    }
  }
  flush();
  std::vector<MonAddress> out;
  for (const auto& address : v1.empty() ? other : v1) {
    const auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? address : address.substr(0, colon);
    std::string port = colon == std::string::npos ? std::string() : address.substr(colon + 1);
    if (port.find('/') != std::string::npos) {
      port = port.substr(0, port.find('/'));  // "…:6789/0" nonce
    }
    out.push_back({std::move(host), std::move(port)});
  }
  return out;
}

}  // namespace

std::string qemuRbdTarget(const RbdSettings& settings, const std::string& pool,
                          const std::string& image) {
  std::string target = fmt::format("rbd:{}/{}:conf={}", pool, image, escapeOption(settings.conf));
  if (!settings.client_id.empty()) {
    target += ":id=" + escapeOption(settings.client_id);
  }
  if (!settings.keyring.empty()) {
    target += ":keyring=" + escapeOption(settings.keyring);
  }
  return target;
}

RbdBackend::RbdBackend(RbdSettings settings)
    : settings_(std::move(settings)), qemu_img_(settings_.qemu_img) {}

util::Result<std::shared_ptr<RbdCluster>> RbdBackend::cluster() {
  return RbdCluster::shared(settings_);
}

util::Result<librados::IoCtx> RbdBackend::io(const PoolContext& pool) {
  if (auto valid = checkRbdName(pool.rbd_pool, "Ceph pool"); !valid) {
    return valid.error().withContext(fmt::format("pool '{}'", pool.name));
  }
  auto connected = cluster();
  if (!connected) {
    return connected.error();
  }
  return (*connected)->ioctx(pool.rbd_pool);
}

util::Result<std::string> RbdBackend::preparePool(const PoolRequest& request) {
  auto ceph_pool = parseRbdPoolUrl(request.url, "");
  if (!ceph_pool) {
    return ceph_pool.error();
  }
  PoolContext pool{.name = request.name, .type = PoolType::CephRbd, .rbd_pool = *ceph_pool};
  if (auto usable = checkStorage(pool); !usable) {
    return usable.error();
  }
  auto connected = cluster();
  if (!connected) {
    return connected.error();
  }
  pugi::xml_document doc;
  auto node = doc.append_child("pool");
  node.append_attribute("type") = "rbd";
  node.append_child("name").text() = request.name.c_str();
  auto source = node.append_child("source");
  source.append_child("name").text() = ceph_pool->c_str();
  for (const auto& address : monAddresses((*connected)->monHost())) {
    auto host = source.append_child("host");
    host.append_attribute("name") = address.host.c_str();
    if (!address.port.empty()) {
      host.append_attribute("port") = address.port.c_str();
    }
  }
  std::ostringstream xml;
  doc.save(xml, "  ", pugi::format_default | pugi::format_no_declaration);
  return xml.str();
}

util::Status RbdBackend::checkStorage(const PoolContext& pool) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error().withContext(fmt::format("pool '{}'", pool.name));
  }
  return util::ok();
}

util::Status RbdBackend::refuseExisting(librados::IoCtx& io, const PoolContext& pool,
                                        const std::string& name, std::string_view what) {
  librbd::RBD rbd;
  librbd::Image image;
  const int r = rbd.open_read_only(io, image, name.c_str(), nullptr);
  if (r == 0) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("{} '{}' already exists in pool '{}' (RBD image '{}')", what,
                                   name, pool.name, specOf(pool, name))};
  }
  if (r != -ENOENT) {
    return cephError(r, fmt::format("looking up RBD image '{}'", specOf(pool, name)));
  }
  return util::ok();
}

util::Status RbdBackend::open(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                              std::string_view kind, librbd::Image& image) {
  const std::string what = kind == "image" ? "disk image" : "disk";
  if (auto valid = checkRbdName(name, what); !valid) {
    return valid;
  }
  librbd::RBD rbd;
  if (int r = rbd.open(io, image, name.c_str()); r < 0) {
    if (r == -ENOENT) {
      return util::Error{util::ErrorCode::NotFound,
                         fmt::format("{} '{}' does not exist in pool '{}' (no RBD image '{}')",
                                     what, name, pool.name, specOf(pool, name))};
    }
    return cephError(r, fmt::format("opening RBD image '{}'", specOf(pool, name)));
  }
  std::string tagged;
  if (image.metadata_get(kRbdKindKey, &tagged) == 0 && tagged != kind) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("RBD image '{}' is a {}, not a {}; use the {} operations for it",
                                   specOf(pool, name), tagged == "image" ? "disk image" : "disk",
                                   what, tagged == "image" ? "disk image" : "disk")};
  }
  return util::ok();
}

util::Status RbdBackend::tag(librados::IoCtx& io, const PoolContext& pool, const std::string& name,
                             std::string_view kind) {
  librbd::RBD rbd;
  librbd::Image image;
  if (int r = rbd.open(io, image, name.c_str()); r < 0) {
    return cephError(r, fmt::format("opening RBD image '{}'", specOf(pool, name)));
  }
  if (int r = image.metadata_set(kRbdKindKey, std::string(kind)); r < 0) {
    return cephError(r, fmt::format("tagging RBD image '{}'", specOf(pool, name)));
  }
  return util::ok();
}

util::Result<VolumeState> RbdBackend::stateOf(const PoolContext& pool, librados::IoCtx& io,
                                              const std::string& name) {
  librbd::RBD rbd;
  librbd::Image image;
  if (int r = rbd.open_read_only(io, image, name.c_str(), nullptr); r < 0) {
    return cephError(r, fmt::format("opening RBD image '{}'", specOf(pool, name)));
  }
  std::uint64_t size = 0;
  if (int r = image.size(&size); r < 0) {
    return cephError(r, fmt::format("reading the size of RBD image '{}'", specOf(pool, name)));
  }
  // Allocated = the objects that exist in this image (not its parent's). Only the object map
  // (fast-diff) makes that cheap; without it every object would be probed, so the image counts
  // as fully allocated, as libvirt's rbd driver reports it.
  std::uint64_t allocated = size;
  std::uint64_t features = 0;
  if (image.features(&features) == 0 && (features & RBD_FEATURE_FAST_DIFF) != 0) {
    std::uint64_t counted = 0;
    auto count = [](std::uint64_t, size_t length, int exists, void* total) -> int {
      if (exists != 0) {
        *static_cast<std::uint64_t*>(total) += length;
      }
      return 0;
    };
    if (image.diff_iterate2(nullptr, 0, size, false, true, count, &counted) == 0) {
      allocated = counted;
    }
  }
  VolumeState state{.pool = pool.name,
                    .name = name,
                    .dir = {},
                    .current = specOf(pool, name),
                    .format = "raw",
                    .virtual_size = size,
                    .actual_size = allocated,
                    .backing_file = {}};
  librbd::linked_image_spec_t parent;
  librbd::snap_spec_t parent_snap;
  if (image.get_parent(&parent, &parent_snap) == 0) {
    state.backing_file =
        fmt::format("{}/{}@{}", parent.pool_name, parent.image_name, parent_snap.name);
  }
  return state;
}

util::Result<VolumeState> RbdBackend::diskState(const PoolContext& pool, const std::string& disk) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found.error();
  }
  image.close();
  return stateOf(pool, *opened, disk);
}

util::Status RbdBackend::setCurrent(const PoolContext& pool, const std::string& disk,
                                    const fs::path& current) {
  // An RBD disk's current image is always the image itself.
  if (current.string() != specOf(pool, disk)) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("RBD disk '{}' cannot be pointed at '{}'; it is always '{}'",
                                   disk, current.string(), specOf(pool, disk))};
  }
  return util::ok();
}

util::Result<VolumeState> RbdBackend::createDisk(const PoolContext& pool, const std::string& disk,
                                                 std::uint64_t bytes, const std::string& format) {
  if (format != "raw") {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk '{}': RBD disks are raw images, format '{}' is not "
                                   "possible; give format raw or leave it out",
                                   disk, format)};
  }
  if (auto valid = checkRbdName(disk, "disk"); !valid) {
    return valid.error();
  }
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  if (auto free = refuseExisting(*opened, pool, disk, "disk"); !free) {
    return free.error();
  }
  librbd::RBD rbd;
  librbd::ImageOptions options;  // features, order …: the cluster's rbd defaults
  if (int r = rbd.create4(*opened, disk.c_str(), bytes, options); r < 0) {
    return cephError(r, fmt::format("creating RBD image '{}'", specOf(pool, disk)));
  }
  if (auto tagged = tag(*opened, pool, disk, "disk"); !tagged) {
    (void)rbd.remove(*opened, disk.c_str());
    return tagged.error();
  }
  return stateOf(pool, *opened, disk);
}

util::Result<VolumeState> RbdBackend::resizeDisk(const PoolContext& pool, const std::string& disk,
                                                 std::uint64_t bytes) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::Image image;
  if (auto found = open(*opened, pool, disk, "disk", image); !found) {
    return found.error();
  }
  std::uint64_t size = 0;
  if (int r = image.size(&size); r < 0) {
    return cephError(r, fmt::format("reading the size of RBD image '{}'", specOf(pool, disk)));
  }
  if (bytes < size) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk '{}' is {} bytes; shrinking it to {} bytes would destroy "
                                   "data and is refused",
                                   disk, size, bytes)};
  }
  if (int r = image.resize(bytes); r < 0) {
    return cephError(r, fmt::format("resizing RBD image '{}'", specOf(pool, disk)));
  }
  image.close();
  return stateOf(pool, *opened, disk);
}

util::Status RbdBackend::copyImage(librados::IoCtx& from_io, const PoolContext& from,
                                   const std::string& name, librados::IoCtx& to_io,
                                   const PoolContext& to, const std::string& new_name) {
  librbd::RBD rbd;
  librbd::Image source;
  if (int r = rbd.open_read_only(from_io, source, name.c_str(), nullptr); r < 0) {
    return cephError(r, fmt::format("opening RBD image '{}'", specOf(from, name)));
  }
  // copy3 reads the image through its parent: the copy is flat and depends on nothing.
  librbd::ImageOptions options;
  if (int r = source.copy3(to_io, new_name.c_str(), options); r < 0) {
    return cephError(
        r, fmt::format("copying RBD image '{}' to '{}'", specOf(from, name), specOf(to, new_name)));
  }
  return util::ok();
}

util::Result<VolumeState> RbdBackend::cloneDisk(const PoolContext& pool, const std::string& disk,
                                                const std::string& new_disk,
                                                const std::string& format) {
  if (!format.empty() && format != "raw") {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk '{}': RBD disks are raw images, format '{}' is not "
                                   "possible; give format raw or leave it out",
                                   new_disk, format)};
  }
  if (auto valid = checkRbdName(new_disk, "disk"); !valid) {
    return valid.error();
  }
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  {
    librbd::Image image;
    if (auto found = open(*opened, pool, disk, "disk", image); !found) {
      return found.error();
    }
  }
  if (auto free = refuseExisting(*opened, pool, new_disk, "disk"); !free) {
    return free.error();
  }
  if (auto copied = copyImage(*opened, pool, disk, *opened, pool, new_disk); !copied) {
    return copied.error();
  }
  if (auto tagged = tag(*opened, pool, new_disk, "disk"); !tagged) {
    return tagged.error();
  }
  return stateOf(pool, *opened, new_disk);
}

util::Status RbdBackend::removeImage(librados::IoCtx& io, const PoolContext& pool,
                                     const std::string& name, std::string_view kind) {
  const std::string what = kind == "image" ? "disk image" : "disk";
  {
    librbd::Image image;
    if (auto found = open(io, pool, name, kind, image); !found) {
      return found;
    }
    std::vector<librbd::snap_info_t> snaps;
    if (int r = image.snap_list(snaps); r < 0) {
      return cephError(r, fmt::format("listing snapshots of RBD image '{}'", specOf(pool, name)));
    }
    for (const auto& snap : snaps) {
      bool protected_snap = false;
      (void)image.snap_is_protected(snap.name.c_str(), &protected_snap);
      if (protected_snap) {
        image.snap_set(snap.name.c_str());
        std::vector<librbd::linked_image_spec_t> children;
        (void)image.list_children3(&children);
        image.snap_set(nullptr);
        if (!children.empty()) {
          return util::Error{
              util::ErrorCode::Conflict,
              fmt::format("{} '{}' is refused for deletion: {} disk(s) are clones of it (first: "
                          "'{}/{}'); delete those disks first",
                          what, name, children.size(), children.front().pool_name,
                          children.front().image_name)};
        }
        if (int r = image.snap_unprotect(snap.name.c_str()); r < 0) {
          return cephError(r, fmt::format("unprotecting snapshot '{}' of RBD image '{}'", snap.name,
                                          specOf(pool, name)));
        }
      }
      if (int r = image.snap_remove(snap.name.c_str()); r < 0) {
        return cephError(r, fmt::format("removing snapshot '{}' of RBD image '{}'", snap.name,
                                        specOf(pool, name)));
      }
    }
  }
  librbd::RBD rbd;
  if (int r = rbd.remove(io, name.c_str()); r < 0) {
    if (r == -EBUSY) {
      return util::Error{util::ErrorCode::Conflict,
                         fmt::format("{} '{}' (RBD image '{}') is open by a client (a running VM "
                                     "or rbd map); stop it and delete again",
                                     what, name, specOf(pool, name))};
    }
    return cephError(r, fmt::format("removing RBD image '{}'", specOf(pool, name)));
  }
  return util::ok();
}

util::Status RbdBackend::deleteDisk(const PoolContext& pool, const std::string& disk) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  return removeImage(*opened, pool, disk, "disk");
}

util::Result<std::string> RbdBackend::content(const PoolContext& pool) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::RBD rbd;
  std::string value;
  const int r = rbd.pool_metadata_get(*opened, kRbdContentKey, &value);
  if (r == -ENOENT) {
    return std::string();
  }
  if (r < 0) {
    return cephError(r, fmt::format("reading the content marker of Ceph pool '{}'", pool.rbd_pool));
  }
  return value;
}

util::Status RbdBackend::setContent(const PoolContext& pool, const std::string& content) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::RBD rbd;
  if (int r = rbd.pool_metadata_set(*opened, kRbdContentKey, content); r < 0) {
    return cephError(r, fmt::format("writing the content marker of Ceph pool '{}'", pool.rbd_pool));
  }
  return util::ok();
}

util::Status RbdBackend::removeContent(const PoolContext& pool) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::RBD rbd;
  const int r = rbd.pool_metadata_remove(*opened, kRbdContentKey);
  if (r < 0 && r != -ENOENT) {
    return cephError(r,
                     fmt::format("removing the content marker of Ceph pool '{}'", pool.rbd_pool));
  }
  return util::ok();
}

util::Result<std::vector<std::string>> RbdBackend::imageNames(const PoolContext& pool) {
  auto opened = io(pool);
  if (!opened) {
    return opened.error();
  }
  librbd::RBD rbd;
  std::vector<librbd::image_spec_t> images;
  if (int r = rbd.list2(*opened, &images); r < 0) {
    return cephError(r, fmt::format("listing RBD images of Ceph pool '{}'", pool.rbd_pool));
  }
  std::vector<std::string> names;
  names.reserve(images.size());
  for (const auto& image : images) {
    names.push_back(image.name);
  }
  return names;
}

util::Result<RbdPoolUsage> RbdBackend::usage(const PoolContext& pool) {
  auto connected = cluster();
  if (!connected) {
    return connected.error();
  }
  return (*connected)->usage(pool.rbd_pool);
}

}  // namespace univirt::sdsctl
