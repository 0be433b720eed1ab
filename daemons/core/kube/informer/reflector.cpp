#include "core/kube/informer/reflector.h"

#include <exception>

#include "core/util/log.h"

namespace univirt::kube {
namespace {

// Handlers are our own code, but one bad event must not stop every later one.
template <typename F>
void guarded(std::string_view what, const Object& object, F&& call) {
  try {
    call();
  } catch (const std::exception& e) {
    log::error("event handler failed", {{"handler", what},
                                        {"ns", namespaceOf(object)},
                                        {"name", nameOf(object)},
                                        {"err", e.what()}});
  }
}

}  // namespace

Reflector::Reflector(ListWatch list_watch, ObjectCache& cache, std::vector<EventHandlers> handlers,
                     util::Clock& clock)
    : list_watch_(std::move(list_watch)),
      cache_(cache),
      handlers_(std::move(handlers)),
      clock_(clock),
      rng_(std::random_device{}()) {}

void Reflector::notifyAdd(const Object& object) {
  for (const EventHandlers& handler : handlers_) {
    if (handler.on_add) {
      guarded("add", object, [&] { handler.on_add(object); });
    }
  }
}

void Reflector::notifyUpdate(const Object& old_object, const Object& new_object) {
  for (const EventHandlers& handler : handlers_) {
    if (handler.on_update) {
      guarded("update", new_object, [&] { handler.on_update(old_object, new_object); });
    }
  }
}

void Reflector::notifyDelete(const Object& object) {
  for (const EventHandlers& handler : handlers_) {
    if (handler.on_delete) {
      guarded("delete", object, [&] { handler.on_delete(object); });
    }
  }
}

void Reflector::setResourceVersion(std::string resource_version) {
  if (resource_version.empty()) {
    return;
  }
  std::lock_guard lock(mu_);
  resource_version_ = std::move(resource_version);
}

std::string Reflector::lastResourceVersion() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

Reflector::Stats Reflector::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Reflector::waitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return synced_cv_.wait_for(lock, timeout, [this] { return synced_.load(); });
}

bool Reflector::waitForSync(std::stop_token stop) const {
  std::unique_lock lock(mu_);
  return synced_cv_.wait(lock, stop, [this] { return synced_.load(); });
}

void Reflector::resync(std::stop_token stop) {
  std::lock_guard dispatch(dispatch_mu_);
  if (!synced_.load()) {
    return;
  }
  for (const ObjectPtr& object : cache_.list()) {
    if (stop.stop_requested()) {
      return;
    }
    notifyUpdate(*object, *object);
  }
  std::lock_guard lock(mu_);
  ++stats_.resyncs;
}

util::Status Reflector::listAndReplace(std::stop_token stop) {
  auto listed = list_watch_.list(std::move(stop));
  if (!listed) {
    return std::move(listed).error();
  }
  std::vector<ObjectPtr> objects;
  objects.reserve(listed->items.size());
  for (Object& item : listed->items) {
    objects.push_back(std::make_shared<const Object>(std::move(item)));
  }
  std::unique_lock dispatch(dispatch_mu_);
  ObjectCache::ReplaceResult changes = cache_.replace(std::move(objects));
  {
    std::lock_guard lock(mu_);
    resource_version_ = listed->resource_version;
    ++stats_.lists;
  }
  for (const ObjectPtr& object : changes.deleted) {
    notifyDelete(*object);
  }
  for (const ObjectPtr& object : changes.added) {
    notifyAdd(*object);
  }
  for (const auto& [old_object, new_object] : changes.updated) {
    notifyUpdate(*old_object, *new_object);
  }
  {
    std::lock_guard lock(mu_);
    synced_.store(true);
  }
  dispatch.unlock();
  synced_cv_.notify_all();
  log::info("listed objects",
            {{"resource", list_watch_.resource.displayName()},
             {"count", static_cast<std::uint64_t>(cache_.size())},
             {"deleted_while_away", static_cast<std::uint64_t>(changes.deleted.size())},
             {"rv", listed->resource_version}});
  return util::ok();
}

bool Reflector::apply(const WatchEvent& event) {
  switch (event.type) {
    case WatchEventType::Added:
    case WatchEventType::Modified: {
      std::lock_guard dispatch(dispatch_mu_);
      auto object = std::make_shared<const Object>(event.object);
      ObjectPtr previous = cache_.upsert(object);
      setResourceVersion(resourceVersionOf(*object));
      if (previous) {
        notifyUpdate(*previous, *object);
      } else {
        notifyAdd(*object);
      }
      return true;
    }
    case WatchEventType::Deleted: {
      std::lock_guard dispatch(dispatch_mu_);
      cache_.remove(ObjectKey::of(event.object));
      setResourceVersion(resourceVersionOf(event.object));
      notifyDelete(event.object);
      return true;
    }
    case WatchEventType::Bookmark:
      setResourceVersion(resourceVersionOf(event.object));
      return false;
    case WatchEventType::Error:
      return false;  // the client returns it as the watch's error
  }
  return false;
}

void Reflector::run(std::stop_token stop) {
  util::Backoff backoff(kBackoff);
  // Relists caused by 410 back off on their own: the list in between succeeds and resets
  // `backoff`, yet a server that answers every fresh watch with 410 must not be hammered.
  util::Backoff relist_backoff(kBackoff);
  int gone_in_a_row = 0;
  bool need_list = true;
  std::uniform_int_distribution<std::int64_t> timeout_spread(
      std::chrono::seconds(kMinWatchTimeout).count(),
      2 * std::chrono::seconds(kMinWatchTimeout).count() - 1);
  const std::string resource = list_watch_.resource.displayName();
  while (!stop.stop_requested()) {
    if (need_list) {
      auto listed = listAndReplace(stop);
      if (stop.stop_requested()) {
        return;
      }
      if (!listed) {
        log::warn("list failed", {{"resource", resource}, {"err", listed.error().message}});
        clock_.sleepFor(backoff.next(), stop);
        continue;
      }
      need_list = false;
      backoff.reset();
    }

    std::uint64_t applied = 0;
    auto started = clock_.now();
    {
      std::lock_guard lock(mu_);
      ++stats_.watches;
    }
    auto watched = list_watch_.watch(
        lastResourceVersion(), timeout_spread(rng_),
        [&](const WatchEvent& event) {
          if (apply(event)) {
            ++applied;
            std::lock_guard lock(mu_);
            ++stats_.events;
          }
        },
        stop);
    if (stop.stop_requested()) {
      return;
    }
    if (applied > 0) {
      backoff.reset();
      relist_backoff.reset();
      gone_in_a_row = 0;
    }
    if (watched) {
      if (applied > 0 || clock_.now() - started >= kMinHealthyWatch) {
        continue;  // a normal end (timeoutSeconds): watch again from where we are
      }
      log::debug("watch ended at once, backing off", {{"resource", resource}});
      clock_.sleepFor(backoff.next(), stop);
      continue;
    }
    const util::Error& error = watched.error();
    if (error.code == util::ErrorCode::Gone) {
      log::info("watch history expired, relisting",
                {{"resource", resource}, {"rv", lastResourceVersion()}});
      need_list = true;
      // The first 410 relists at once; a 410 straight after that relist waits.
      if (++gone_in_a_row > 1) {
        clock_.sleepFor(relist_backoff.next(), stop);
      }
      continue;
    }
    bool connection_problem =
        error.code == util::ErrorCode::Unavailable || error.code == util::ErrorCode::Timeout;
    log::warn("watch failed", {{"resource", resource},
                               {"err", error.message},
                               {"err_code", std::string(util::errorCodeName(error.code))}});
    // Connection trouble: resume from the same resourceVersion. Anything else: start over.
    need_list = !connection_problem;
    clock_.sleepFor(backoff.next(), stop);
  }
}

}  // namespace univirt::kube
