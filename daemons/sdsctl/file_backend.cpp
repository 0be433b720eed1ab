#include "sdsctl/file_backend.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "sdsctl/disk_layout.h"
#include "sdsctl/mounts.h"
#include "sdsctl/pool_path.h"

namespace univirt::sdsctl {
namespace fs = std::filesystem;

FileBackend::FileBackend(FileBackendSettings settings)
    : settings_(std::move(settings)), qemu_img_(settings_.qemu_img) {}

util::Result<std::string> FileBackend::preparePool(const PoolRequest& request) {
  const fs::path url(request.url);
  if (request.url.empty() || !url.is_absolute()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}': url '{}' must be an absolute directory path",
                                   request.name, request.url)};
  }
  for (const auto& part : url) {
    if (part == "..") {
      return util::Error{
          util::ErrorCode::InvalidArgument,
          fmt::format("pool '{}': url '{}' must not contain '..'", request.name, request.url)};
    }
  }
  if (url.lexically_normal() == url.root_path()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("pool '{}': url '/' cannot be a pool", request.name)};
  }
  std::error_code error;
  if (request.type == PoolType::Dir && !fs::exists(url, error)) {
    fs::create_directories(url, error);
    if (error) {
      return util::Error{util::ErrorCode::Internal,
                         fmt::format("pool '{}': cannot create directory '{}': {}", request.name,
                                     request.url, error.message())};
    }
  }
  auto root = canonicalPoolRoot(request.url, request.name);
  if (!root) {
    return root.error();
  }
  PoolContext pool{.name = request.name, .type = request.type, .root = *root};
  if (auto usable = checkStorage(pool); !usable) {
    return usable.error();
  }
  pugi::xml_document doc;
  auto node = doc.append_child("pool");
  node.append_attribute("type") = "dir";
  node.append_child("name").text() = request.name.c_str();
  node.append_child("target").append_child("path").text() = root->c_str();
  std::ostringstream xml;
  doc.save(xml, "  ", pugi::format_default | pugi::format_no_declaration);
  return xml.str();
}

util::Status FileBackend::checkStorage(const PoolContext& pool) {
  std::error_code error;
  if (!fs::is_directory(pool.root, error)) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("the directory '{}' of pool '{}' does not exist",
                                   pool.root.string(), pool.name)};
  }
  if (!isMountedType(pool.type)) {
    return util::ok();
  }
  const auto types = settings_.mount_fs_types.find(pool.type);
  return checkMounted(
      pool.root,
      types != settings_.mount_fs_types.end() ? types->second : std::vector<std::string>{},
      poolTypeName(pool.type), pool.name, settings_.mountinfo);
}

util::Result<fs::path> FileBackend::newVolumeFile(const PoolContext& pool, const std::string& name,
                                                  std::string_view what) {
  if (auto usable = checkStorage(pool); !usable) {
    return usable.error();
  }
  auto dir = volumeDir(pool, name, what);
  if (!dir) {
    return dir.error();
  }
  std::error_code error;
  if (fs::exists(fs::symlink_status(*dir, error))) {
    return util::Error{util::ErrorCode::AlreadyExists,
                       fmt::format("{} '{}' already exists in pool '{}' ('{}')", what, name,
                                   pool.name, dir->string())};
  }
  if (!fs::create_directory(*dir, error) || error) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("cannot create directory '{}' for {} '{}': {}", dir->string(),
                                   what, name, error.message())};
  }
  return *dir / name;
}

util::Result<VolumeState> FileBackend::stateOf(const PoolContext& pool, const std::string& name,
                                               const fs::path& dir, const fs::path& current) {
  auto info = qemu_img_.info(current.string());
  if (!info) {
    return info.error();
  }
  return VolumeState{.pool = pool.name,
                     .name = name,
                     .dir = dir,
                     .current = current,
                     .format = info->format,
                     .virtual_size = info->virtual_size,
                     .actual_size = info->actual_size,
                     .backing_file = info->full_backing_filename};
}

util::Result<VolumeState> FileBackend::finishVolume(const PoolContext& pool,
                                                    const std::string& name, const fs::path& file) {
  DiskConfig config{.name = name, .dir = file.parent_path(), .current = file, .pool = pool.name};
  if (auto written = writeDiskConfig(config); !written) {
    return written.error();
  }
  return stateOf(pool, name, config.dir, file);
}

util::Status FileBackend::removeVolumeDir(const PoolContext& pool, const std::string& name,
                                          std::string_view what) {
  if (auto usable = checkStorage(pool); !usable) {
    return usable;
  }
  auto dir = volumeDir(pool, name, what);
  if (!dir) {
    return dir.error();
  }
  std::error_code error;
  if (!fs::exists(fs::symlink_status(*dir, error))) {
    return util::Error{util::ErrorCode::NotFound,
                       fmt::format("{} '{}' does not exist in pool '{}'", what, name, pool.name)};
  }
  if (!fs::is_directory(fs::symlink_status(*dir, error))) {
    return util::Error{
        util::ErrorCode::InvalidArgument,
        fmt::format("'{}' is not a {} directory; it was left alone", dir->string(), what)};
  }
  // remove_all never follows symbolic links: a link inside is removed, not its target.
  fs::remove_all(*dir, error);
  if (error) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("cannot remove '{}': {}", dir->string(), error.message())};
  }
  return util::ok();
}

util::Result<VolumeState> FileBackend::createDisk(const PoolContext& pool, const std::string& disk,
                                                  std::uint64_t bytes, const std::string& format) {
  auto file = newVolumeFile(pool, disk, "disk");
  if (!file) {
    return file.error();
  }
  if (auto created = qemu_img_.create(file->string(), format, bytes); !created) {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return created.error().withContext(fmt::format("creating disk '{}'", disk));
  }
  return finishVolume(pool, disk, *file);
}

util::Result<VolumeState> FileBackend::diskState(const PoolContext& pool, const std::string& disk) {
  if (auto usable = checkStorage(pool); !usable) {
    return usable.error();
  }
  auto config = readDiskConfig(pool, disk, "disk");
  if (!config) {
    return config.error();
  }
  return stateOf(pool, disk, config->dir, config->current);
}

util::Status FileBackend::setCurrent(const PoolContext& pool, const std::string& disk,
                                     const fs::path& current) {
  auto config = readDiskConfig(pool, disk, "disk");
  if (!config) {
    return config.error();
  }
  config->current = current;
  return writeDiskConfig(*config);
}

util::Result<VolumeState> FileBackend::resizeDisk(const PoolContext& pool, const std::string& disk,
                                                  std::uint64_t bytes) {
  auto state = diskState(pool, disk);
  if (!state) {
    return state.error();
  }
  if (bytes < state->virtual_size) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("disk '{}' is {} bytes; shrinking it to {} bytes would destroy "
                                   "data and is refused",
                                   disk, state->virtual_size, bytes)};
  }
  if (auto resized = qemu_img_.resize(state->current.string(), state->format, bytes); !resized) {
    return resized.error().withContext(fmt::format("resizing disk '{}'", disk));
  }
  return stateOf(pool, disk, state->dir, state->current);
}

util::Result<VolumeState> FileBackend::cloneDisk(const PoolContext& pool, const std::string& disk,
                                                 const std::string& new_disk,
                                                 const std::string& format) {
  auto source = diskState(pool, disk);
  if (!source) {
    return source.error();
  }
  auto file = newVolumeFile(pool, new_disk, "disk");
  if (!file) {
    return file.error();
  }
  const std::string target_format = format.empty() ? source->format : format;
  if (auto copied = qemu_img_.convert(source->current.string(), file->string(), target_format);
      !copied) {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return copied.error().withContext(fmt::format("cloning disk '{}' to '{}'", disk, new_disk));
  }
  return finishVolume(pool, new_disk, *file);
}

util::Status FileBackend::deleteDisk(const PoolContext& pool, const std::string& disk) {
  return removeVolumeDir(pool, disk, "disk");
}

util::Result<VolumeState> FileBackend::createDiskFromImage(const PoolContext& target,
                                                           const std::string& disk,
                                                           const PoolContext& source_pool,
                                                           const fs::path& source, bool full_copy) {
  if (auto usable = checkStorage(source_pool); !usable) {
    return usable.error();
  }
  auto info = qemu_img_.info(source.string());
  if (!info) {
    return info.error();
  }
  auto file = newVolumeFile(target, disk, "disk");
  if (!file) {
    return file.error();
  }
  util::Status made = full_copy
                          ? qemu_img_.convert(source.string(), file->string(), "qcow2")
                          : qemu_img_.createOverlay(file->string(), source.string(), info->format);
  if (!made) {
    std::error_code ignored;
    fs::remove_all(file->parent_path(), ignored);
    return made.error().withContext(
        fmt::format("creating disk '{}' from image '{}'", disk, source.string()));
  }
  return finishVolume(target, disk, *file);
}

}  // namespace univirt::sdsctl
