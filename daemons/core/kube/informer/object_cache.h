#pragma once

// ObjectCache: the informer's thread-safe, in-memory copy of the objects it watches.
//
// Contract:
//   - Keyed by ObjectKey ("ns/name"); also indexed by namespace and by the values of the label
//     keys given at construction (e.g. "host" → every VirtualMachine on a node).
//   - Objects are immutable once stored: readers get shared snapshots (shared_ptr<const>) that
//     stay valid after the cache moves on, so no reader ever sees half an update and no lock is
//     held while a caller looks at an object.
//   - Only the reflector writes; any thread reads. Reads reflect every write that returned.
//   - replace() installs a complete new state (after a list) and reports what changed, so the
//     informer can tell handlers about objects that vanished while it was not watching.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/kube/object.h"

namespace univirt::kube {

// Shared by the cache and every reader holding a snapshot.
using ObjectPtr = std::shared_ptr<const Object>;

class ObjectCache {
 public:
  explicit ObjectCache(std::vector<std::string> indexed_labels = {});

  // Inserts or replaces; returns the previous version, if any.
  ObjectPtr upsert(ObjectPtr object);
  // Removes; returns the removed version, if any.
  ObjectPtr remove(const ObjectKey& key);

  struct ReplaceResult {
    std::vector<ObjectPtr> added;
    std::vector<std::pair<ObjectPtr, ObjectPtr>> updated;  // old, new; resourceVersion changed
    std::vector<ObjectPtr> deleted;                        // last known state
  };
  ReplaceResult replace(std::vector<ObjectPtr> objects);

  ObjectPtr get(const ObjectKey& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> listNamespace(std::string_view namespace_name) const;
  // Objects whose label `key` (one of the indexed labels) equals `value`.
  std::vector<ObjectPtr> listByLabel(std::string_view key, std::string_view value) const;
  std::vector<ObjectKey> keys() const;
  std::size_t size() const;

 private:
  void indexLocked(const std::string& key, const Object& object);
  void unindexLocked(const std::string& key, const Object& object);

  const std::vector<std::string> indexed_labels_;
  mutable std::mutex mu_;
  std::map<std::string, ObjectPtr> objects_;                   // guarded by mu_
  std::map<std::string, std::set<std::string>> by_namespace_;  // guarded by mu_
  // "label-key\0value" → object keys; guarded by mu_.
  std::map<std::string, std::set<std::string>> by_label_;
};

}  // namespace univirt::kube
