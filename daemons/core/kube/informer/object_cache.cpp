#include "core/kube/informer/object_cache.h"

namespace univirt::kube {
namespace {

std::string labelIndexKey(std::string_view label, std::string_view value) {
  std::string key(label);
  key += '\0';
  key += value;
  return key;
}

std::vector<ObjectPtr> collect(const std::map<std::string, ObjectPtr>& objects,
                               const std::set<std::string>* keys) {
  std::vector<ObjectPtr> out;
  if (keys == nullptr) {
    return out;
  }
  out.reserve(keys->size());
  for (const std::string& key : *keys) {
    if (auto it = objects.find(key); it != objects.end()) {
      out.push_back(it->second);
    }
  }
  return out;
}

}  // namespace

ObjectCache::ObjectCache(std::vector<std::string> indexed_labels)
    : indexed_labels_(std::move(indexed_labels)) {}

void ObjectCache::indexLocked(const std::string& key, const Object& object) {
  by_namespace_[namespaceOf(object)].insert(key);
  for (const std::string& label : indexed_labels_) {
    std::string value = labelOf(object, label);
    if (!value.empty()) {
      by_label_[labelIndexKey(label, value)].insert(key);
    }
  }
}

void ObjectCache::unindexLocked(const std::string& key, const Object& object) {
  if (auto it = by_namespace_.find(namespaceOf(object)); it != by_namespace_.end()) {
    it->second.erase(key);
    if (it->second.empty()) {
      by_namespace_.erase(it);
    }
  }
  for (const std::string& label : indexed_labels_) {
    std::string value = labelOf(object, label);
    if (value.empty()) {
      continue;
    }
    if (auto it = by_label_.find(labelIndexKey(label, value)); it != by_label_.end()) {
      it->second.erase(key);
      if (it->second.empty()) {
        by_label_.erase(it);
      }
    }
  }
}

ObjectPtr ObjectCache::upsert(ObjectPtr object) {
  std::string key = ObjectKey::of(*object).toString();
  std::lock_guard lock(mu_);
  ObjectPtr previous;
  if (auto it = objects_.find(key); it != objects_.end()) {
    previous = it->second;
    unindexLocked(key, *previous);
  }
  indexLocked(key, *object);
  objects_[key] = std::move(object);
  return previous;
}

ObjectPtr ObjectCache::remove(const ObjectKey& key) {
  std::string text = key.toString();
  std::lock_guard lock(mu_);
  auto it = objects_.find(text);
  if (it == objects_.end()) {
    return nullptr;
  }
  ObjectPtr previous = std::move(it->second);
  objects_.erase(it);
  unindexLocked(text, *previous);
  return previous;
}

ObjectCache::ReplaceResult ObjectCache::replace(std::vector<ObjectPtr> objects) {
  std::map<std::string, ObjectPtr> next;
  for (ObjectPtr& object : objects) {
    std::string key = ObjectKey::of(*object).toString();
    next[key] = std::move(object);
  }
  ReplaceResult result;
  std::lock_guard lock(mu_);
  for (const auto& [key, old_object] : objects_) {
    if (!next.contains(key)) {
      result.deleted.push_back(old_object);
    }
  }
  for (const auto& [key, object] : next) {
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      result.added.push_back(object);
    } else if (resourceVersionOf(*it->second) != resourceVersionOf(*object)) {
      result.updated.emplace_back(it->second, object);
    }
  }
  objects_ = std::move(next);
  by_namespace_.clear();
  by_label_.clear();
  for (const auto& [key, object] : objects_) {
    indexLocked(key, *object);
  }
  return result;
}

ObjectPtr ObjectCache::get(const ObjectKey& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key.toString());
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectCache::list() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) {
    out.push_back(object);
  }
  return out;
}

std::vector<ObjectPtr> ObjectCache::listNamespace(std::string_view namespace_name) const {
  std::lock_guard lock(mu_);
  auto it = by_namespace_.find(std::string(namespace_name));
  return collect(objects_, it == by_namespace_.end() ? nullptr : &it->second);
}

std::vector<ObjectPtr> ObjectCache::listByLabel(std::string_view key,
                                                std::string_view value) const {
  std::lock_guard lock(mu_);
  auto it = by_label_.find(labelIndexKey(key, value));
  return collect(objects_, it == by_label_.end() ? nullptr : &it->second);
}

std::vector<ObjectKey> ObjectCache::keys() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectKey> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) {
    out.push_back(ObjectKey::parse(key));
  }
  return out;
}

std::size_t ObjectCache::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

}  // namespace univirt::kube
