#include "virtlet/image_sync.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <pugixml.hpp>
#include <sys/inotify.h>

#include "core/util/log.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

namespace fs = std::filesystem;
using util::ErrorCode;

constexpr const char* kContentFile = "content";
constexpr const char* kImageContent = "vmdi";
constexpr char kPoolKeyPrefix = '\n';  // debouncer key of a whole-pool reconcile

bool isImageFile(const std::string& name) {
  return !name.empty() && name != kContentFile && name.front() != '.';
}

std::string extensionOf(const std::string& file) {
  const auto dot = file.rfind('.');
  std::string ext = dot == std::string::npos ? std::string() : file.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

nlohmann::json imageObject(const std::string& ns, const std::string& node, const ImagePool& pool,
                           const std::string& file) {
  return {{"apiVersion", "doslab.io/v1"},
          {"kind", "VirtualMachineDiskImage"},
          {"metadata", {{"name", file}, {"namespace", ns}, {"labels", {{kHostLabel, node}}}}},
          {"spec",
           {{"volume",
             {{"current", pool.dir + "/" + file},
              {"pool", pool.name},
              {"type", extensionOf(file)},
              {"format", "raw"}}},
            {"nodeName", node},
            {"status",
             {{"conditions",
               {{"state",
                 {{"waiting", {{"reason", "Ready"}, {"message", "The image is ready"}}}}}}}}}}}};
}

}  // namespace

bool isValidObjectName(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  const auto alnum = [](char c) { return std::islower(c) != 0 || std::isdigit(c) != 0; };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

ImageSync::ImageSync(kube::Client& client, ConnectionSource connect, ImageSyncOptions options,
                     util::Clock& clock)
    : client_(client),
      connect_(std::move(connect)),
      options_(std::move(options)),
      clock_(clock),
      debouncer_(
          options_.debounce, [this](const std::string& key) { handle(key); }, clock),
      watcher_([this](const FsEvent& event) { onEvent(event); }) {}

ImageSync::~ImageSync() { stop(); }

util::Status ImageSync::start() {
  debouncer_.start();
  if (auto started = watcher_.start(); !started) {
    return started;
  }
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  return {};
}

void ImageSync::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  watcher_.stop();
  debouncer_.stop();
}

std::set<std::string> ImageSync::heldPools() const {
  std::lock_guard lock(mu_);
  return held_;
}

std::size_t ImageSync::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

void ImageSync::run(const std::stop_token& stop) {
  const auto period =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease_duration) / 3;
  while (!stop.stop_requested()) {
    round();
    clock_.sleepFor(period, stop);
  }
}

std::vector<ImagePool> ImageSync::findImagePools() {
  std::vector<ImagePool> found;
  auto connection = connect_();
  if (!connection) {
    return found;
  }
  auto pools = (*connection)->listAllStoragePools();
  if (!pools) {
    return found;
  }
  for (const auto& pool : *pools) {
    auto active = pool.isActive();
    auto xml = pool.xml();
    if (!active || !*active || !xml) {
      continue;
    }
    pugi::xml_document doc;
    if (!doc.load_string(xml->c_str())) {
      continue;
    }
    const std::string dir = doc.child("pool").child("target").child("path").text().as_string();
    if (dir.empty()) {
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      skipped_.warn(
          dir, "pool directory unreadable, skipped",
          {{"pool", pool.name()}, {"dir", dir}, {"error", ec ? ec.message() : "not a directory"}});
      continue;
    }
    std::ifstream content(dir + "/" + kContentFile);
    std::stringstream text;
    text << content.rdbuf();
    if (text.str().find(kImageContent) == std::string::npos) {
      continue;
    }
    found.push_back(ImagePool{pool.name(), dir});
  }
  return found;
}

void ImageSync::round() {
  for (const ImagePool& pool : findImagePools()) {
    {
      std::lock_guard lock(mu_);
      pools_[pool.dir] = pool;
    }
    if (!watcher_.watching(pool.dir)) {
      auto watched = watcher_.watch(
          pool.dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE);
      if (!watched) {
        skipped_.warn(pool.dir, "pool directory unreadable, skipped",
                      {{"pool", pool.name}, {"dir", pool.dir}, {"error", watched.error().message}});
        continue;
      }
    }
    auto& lease = leases_[pool.name];
    if (!lease) {
      lease = std::make_unique<PoolLease>(
          client_, kube::ObjectKey{options_.home_namespace, poolLeaseName(pool.name)},
          options_.node_name, options_.lease_duration, clock_);
    }
    auto held = lease->acquireOrRenew();
    if (!held) {
      log::warn("pool lease not renewed", {{"pool", pool.name}, {"error", held.error().message}});
    }
    const bool holds = held.has_value() && *held;
    bool gained = false;
    {
      std::lock_guard lock(mu_);
      if (holds) {
        gained = held_.insert(pool.name).second;
      } else if (held_.erase(pool.name) > 0) {
        log::info("pool lease lost", {{"pool", pool.name}});
      }
    }
    if (gained) {
      log::info("pool lease acquired, acting for the pool",
                {{"pool", pool.name}, {"dir", pool.dir}});
      debouncer_.submit(std::string(1, kPoolKeyPrefix) + pool.dir);
    }
  }
  std::lock_guard lock(mu_);
  ++rounds_;
}

void ImageSync::onEvent(const FsEvent& event) {
  if ((event.mask & IN_Q_OVERFLOW) != 0) {
    std::lock_guard lock(mu_);
    for (const auto& entry : pools_) {
      debouncer_.submit(std::string(1, kPoolKeyPrefix) + entry.first);
    }
    return;
  }
  if ((event.mask & IN_ISDIR) != 0 || !isImageFile(event.name)) {
    return;
  }
  // IN_CREATE alone is a file still being written; its IN_CLOSE_WRITE follows.
  if ((event.mask & IN_CREATE) != 0) {
    return;
  }
  debouncer_.submit(event.dir + "/" + event.name);
}

void ImageSync::handle(const std::string& key) {
  const bool whole_pool = !key.empty() && key.front() == kPoolKeyPrefix;
  const std::string path = whole_pool ? key.substr(1) : key;
  const std::string dir = whole_pool ? path : fs::path(path).parent_path().string();
  ImagePool pool;
  {
    std::lock_guard lock(mu_);
    auto it = pools_.find(dir);
    if (it == pools_.end() || held_.count(it->second.name) == 0) {
      return;  // another node acts for this pool
    }
    pool = it->second;
  }
  if (whole_pool) {
    reconcilePool(pool);
    return;
  }
  const std::string file = fs::path(path).filename().string();
  if (auto synced = syncImage(pool, file); !synced) {
    log::warn("disk image not synced",
              {{"pool", pool.name}, {"file", file}, {"error", synced.error().message}});
  }
}

util::Status ImageSync::syncImage(const ImagePool& pool, const std::string& file) {
  const std::string path = pool.dir + "/" + file;
  if (!isValidObjectName(file)) {
    skipped_.warn(path, "image file name is no valid object name, skipped", {{"path", path}});
    return {};
  }
  const kube::ObjectKey key{options_.home_namespace, file};
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    auto created = client_.create(
        kDiskImages, imageObject(options_.home_namespace, options_.node_name, pool, file));
    if (created) {
      log::info("disk image created", {{"pool", pool.name}, {"name", file}});
      return {};
    }
    if (created.error().code == ErrorCode::AlreadyExists) {
      return {};
    }
    return created.error();
  }
  auto existing = client_.get(kDiskImages, key);
  if (!existing && existing.error().code == ErrorCode::NotFound) {
    return {};
  }
  if (!existing) {
    return existing.error();
  }
  const nlohmann::json volume =
      existing->value("spec", nlohmann::json::object()).value("volume", nlohmann::json::object());
  if (volume.value("pool", "") != pool.name || volume.value("current", "") != path) {
    return {};  // an image of the same name elsewhere: not this file's object
  }
  kube::DeleteOptions options;
  options.precondition_uid = kube::uidOf(*existing);
  auto removed = client_.remove(kDiskImages, key, options);
  if (!removed && removed.error().code != ErrorCode::NotFound) {
    return removed.error();
  }
  log::info("disk image deleted", {{"pool", pool.name}, {"name", file}});
  return {};
}

void ImageSync::reconcilePool(const ImagePool& pool) {
  std::set<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(pool.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (isImageFile(name) && it->is_regular_file(ec)) {
      files.insert(name);
    }
  }
  if (ec) {
    skipped_.warn(pool.dir, "pool directory unreadable, skipped",
                  {{"pool", pool.name}, {"dir", pool.dir}, {"error", ec.message()}});
    return;
  }
  auto listed = client_.list(kDiskImages, options_.home_namespace);
  if (!listed) {
    log::warn("disk images not listed", {{"pool", pool.name}, {"error", listed.error().message}});
    return;
  }
  for (const auto& item : listed->items) {
    const nlohmann::json volume =
        item.value("spec", nlohmann::json::object()).value("volume", nlohmann::json::object());
    const std::string current = volume.value("current", "");
    if (volume.value("pool", "") == pool.name && current == pool.dir + "/" + kube::nameOf(item) &&
        files.count(kube::nameOf(item)) == 0) {
      files.insert(kube::nameOf(item));  // syncImage deletes it: the file is gone
    }
  }
  for (const std::string& file : files) {
    if (auto synced = syncImage(pool, file); !synced) {
      log::warn("disk image not synced",
                {{"pool", pool.name}, {"file", file}, {"error", synced.error().message}});
    }
  }
}

}  // namespace univirt::virtlet
