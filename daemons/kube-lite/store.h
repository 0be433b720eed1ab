#pragma once

// Store: every object kube-lite serves, in SQLite (WAL) for durability and in memory for reads.
// One global resourceVersion counter orders all writes; each write is one SQLite transaction
// that is committed before the caller gets an answer, so an acknowledged write survives
// kill -9 (WAL with synchronous=NORMAL is durable against process crashes). Each write
// publishes exactly one event to the WatchHub while the write lock is held.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/result.h"
#include "kube-lite/api_error.h"
#include "kube-lite/watch_hub.h"

namespace SQLite {
class Database;
}

namespace univirt::kubelite {

struct ObjectKey {
  std::string storage_key;  // "<group>/<plural>"
  std::string ns;
  std::string name;
};

enum class WriteAction { Keep, Put, Remove };

// What a mutator decides for one object.
struct Mutation {
  WriteAction action = WriteAction::Keep;
  nlohmann::json object;          // new state (Put) or final state (Remove)
  std::optional<ApiError> error;  // set to refuse the write
};

struct MutationResult {
  WriteAction action = WriteAction::Keep;
  bool created = false;
  nlohmann::json object;  // stored state with its new resourceVersion
  std::optional<ApiError> error;
};

// Receives the current object (nullptr when absent) and the RV the write will get.
using Mutator = std::function<Mutation(const nlohmann::json* current, int64_t next_rv)>;

struct ListPage {
  std::vector<nlohmann::json> items;
  int64_t rv = 0;
  std::string continue_after;  // "<ns>/<name>" of the last item when more remain
  int64_t remaining = 0;
};

using ObjectFilter = std::function<bool(const nlohmann::json&)>;

class Store {
 public:
  static util::Result<std::unique_ptr<Store>> open(const std::string& path, WatchHub& hub);
  ~Store();

  int64_t currentRv() const;
  std::optional<nlohmann::json> get(const ObjectKey& key) const;
  // Objects of one resource (optionally one namespace) sorted by namespace then name, starting
  // after `start_after` ("<ns>\x01<name>" from a continue token), at most `limit` (0 = all).
  ListPage list(const std::string& storage_key, const std::string& ns,
                const std::string& start_after, size_t limit, const ObjectFilter& filter) const;
  MutationResult mutate(const ObjectKey& key, const Mutator& mutator);

 private:
  Store(std::unique_ptr<SQLite::Database> db, WatchHub& hub);
  util::Status load();

  static std::string mapKey(const ObjectKey& key);

  std::unique_ptr<SQLite::Database> db_;  // guarded by mu_ (writes)
  WatchHub& hub_;
  mutable std::shared_mutex mu_;
  std::map<std::string, nlohmann::json> objects_;  // guarded by mu_
  int64_t rv_ = 0;                                 // guarded by mu_
};

// Separator between storage key, namespace and name in map keys and continue positions.
inline constexpr char kKeySeparator = '\x01';

}  // namespace univirt::kubelite
