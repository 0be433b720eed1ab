#include "kube-lite/store.h"

#include <mutex>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;
using util::Error;
using util::ErrorCode;

Store::Store(std::unique_ptr<SQLite::Database> db, WatchHub& hub) : db_(std::move(db)), hub_(hub) {}

Store::~Store() = default;

util::Result<std::unique_ptr<Store>> Store::open(const std::string& path, WatchHub& hub) {
  try {
    auto db =
        std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec(
        "CREATE TABLE IF NOT EXISTS objects (storage_key TEXT NOT NULL, ns TEXT NOT NULL, "
        "name TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL, "
        "PRIMARY KEY (storage_key, ns, name))");
    db->exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    std::unique_ptr<Store> store(new Store(std::move(db), hub));
    auto loaded = store->load();
    if (!loaded) {
      return loaded.error();
    }
    return store;
  } catch (const std::exception& e) {
    return Error{ErrorCode::Unavailable,
                 fmt::format("cannot open the kube-lite database '{}': {}", path, e.what())};
  }
}

util::Status Store::load() {
  try {
    SQLite::Statement rv_query(*db_, "SELECT v FROM meta WHERE k = 'rv'");
    if (rv_query.executeStep()) {
      rv_ = rv_query.getColumn(0).getInt64();
    }
    SQLite::Statement rows(*db_, "SELECT storage_key, ns, name, body FROM objects");
    while (rows.executeStep()) {
      ObjectKey key{rows.getColumn(0).getString(), rows.getColumn(1).getString(),
                    rows.getColumn(2).getString()};
      objects_[mapKey(key)] = json::parse(rows.getColumn(3).getString());
    }
  } catch (const std::exception& e) {
    return Error{ErrorCode::Internal,
                 fmt::format("the kube-lite database is unreadable: {}", e.what())};
  }
  hub_.resetWindow(rv_);
  return util::ok();
}

std::string Store::mapKey(const ObjectKey& key) {
  std::string out = key.storage_key;
  out += kKeySeparator;
  out += key.ns;
  out += kKeySeparator;
  out += key.name;
  return out;
}

int64_t Store::currentRv() const {
  std::shared_lock lock(mu_);
  return rv_;
}

std::optional<json> Store::get(const ObjectKey& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(mapKey(key));
  if (it == objects_.end()) {
    return std::nullopt;
  }
  return it->second;
}

ListPage Store::list(const std::string& storage_key, const std::string& ns,
                     const std::string& start_after, size_t limit,
                     const ObjectFilter& filter) const {
  std::shared_lock lock(mu_);
  ListPage page;
  page.rv = rv_;
  std::string prefix = storage_key + kKeySeparator;
  if (!ns.empty()) {
    prefix += ns;
    prefix += kKeySeparator;
  }
  auto it = objects_.lower_bound(prefix);
  if (!start_after.empty()) {
    it = objects_.upper_bound(storage_key + kKeySeparator + start_after);
  }
  for (; it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (filter && !filter(it->second)) {
      continue;
    }
    if (limit != 0 && page.items.size() == limit) {
      // One more match exists: hand out a continue position and count what remains.
      page.continue_after = page.items.back()["metadata"].value("namespace", "") + kKeySeparator +
                            page.items.back()["metadata"].value("name", "");
      for (; it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        if (!filter || filter(it->second)) {
          ++page.remaining;
        }
      }
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

MutationResult Store::mutate(const ObjectKey& key, const Mutator& mutator) {
  std::unique_lock lock(mu_);
  std::string map_key = mapKey(key);
  auto it = objects_.find(map_key);
  const json* current = it == objects_.end() ? nullptr : &it->second;
  int64_t next_rv = rv_ + 1;
  Mutation mutation = mutator(current, next_rv);
  MutationResult result;
  if (mutation.error) {
    result.error = std::move(mutation.error);
    return result;
  }
  result.action = mutation.action;
  if (mutation.action == WriteAction::Keep) {
    result.object = current != nullptr ? *current : json();
    return result;
  }
  if (mutation.action == WriteAction::Remove && current == nullptr) {
    result.action = WriteAction::Keep;
    return result;
  }
  json object = std::move(mutation.object);
  object["metadata"]["resourceVersion"] = std::to_string(next_rv);
  try {
    SQLite::Transaction txn(*db_);
    if (mutation.action == WriteAction::Put) {
      SQLite::Statement put(*db_,
                            "INSERT OR REPLACE INTO objects (storage_key, ns, name, rv, body) "
                            "VALUES (?, ?, ?, ?, ?)");
      put.bind(1, key.storage_key);
      put.bind(2, key.ns);
      put.bind(3, key.name);
      put.bind(4, static_cast<int64_t>(next_rv));
      put.bind(5, object.dump());
      put.exec();
    } else {
      SQLite::Statement del(*db_,
                            "DELETE FROM objects WHERE storage_key = ? AND ns = ? AND name = ?");
      del.bind(1, key.storage_key);
      del.bind(2, key.ns);
      del.bind(3, key.name);
      del.exec();
    }
    SQLite::Statement bump(*db_, "INSERT OR REPLACE INTO meta (k, v) VALUES ('rv', ?)");
    bump.bind(1, static_cast<int64_t>(next_rv));
    bump.exec();
    txn.commit();
  } catch (const std::exception& e) {
    result.error = internalError(fmt::format("the write to the store failed: {}", e.what()));
    result.action = WriteAction::Keep;
    return result;
  }
  rv_ = next_rv;
  WatchEvent event;
  event.rv = next_rv;
  event.storage_key = key.storage_key;
  event.ns = key.ns;
  event.object = object;
  if (current != nullptr) {
    event.previous = *current;
  }
  if (mutation.action == WriteAction::Put) {
    event.type = current == nullptr ? "ADDED" : "MODIFIED";
    result.created = current == nullptr;
    objects_[map_key] = object;
  } else {
    event.type = "DELETED";
    objects_.erase(it);
  }
  hub_.publish(std::move(event));
  result.object = std::move(object);
  return result;
}

}  // namespace univirt::kubelite
