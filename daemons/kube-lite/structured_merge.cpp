#include "kube-lite/structured_merge.h"

#include <deque>
#include <map>
#include <optional>
#include <set>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

const json* find(const json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) {
    return nullptr;
  }
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

bool isEmptyContainer(const json& value) {
  return (value.is_object() || value.is_array()) && value.empty();
}

void collect(const json& value, const FieldType& type, FieldSet& node) {
  if (value.is_object()) {
    if (type.atomicMap()) {
      node.setMember(true);
      return;
    }
    for (const auto& [key, child] : value.items()) {
      FieldSet& child_node = node.childAt("f:" + key);
      collect(child, type.field(key), child_node);
      if (child.is_null() || (child.is_object() && child.empty()) || !type.declares(key)) {
        child_node.setMember(true);
      }
    }
    return;
  }
  if (value.is_array()) {
    ListRule rule = type.listRule(&value);
    if (rule.kind == ListKind::Atomic) {
      node.setMember(true);
      return;
    }
    for (const auto& item : value) {
      FieldSet& child_node = node.childAt(FieldType::itemElement(rule, item));
      collect(item, type.item(), child_node);
      child_node.setMember(true);
    }
    return;
  }
  node.setMember(true);
}

enum class Shape { Absent, Object, Array, Scalar };

Shape shapeOf(const json* value) {
  if (value == nullptr) {
    return Shape::Absent;
  }
  if (value->is_object()) {
    return Shape::Object;
  }
  return value->is_array() ? Shape::Array : Shape::Scalar;
}

// Items of an associative list by path element.
std::map<std::string, const json*> indexItems(const json* list, const ListRule& rule,
                                              std::vector<std::string>& order) {
  std::map<std::string, const json*> items;
  if (list == nullptr) {
    return items;
  }
  for (const auto& item : *list) {
    std::string element = FieldType::itemElement(rule, item);
    if (items.emplace(element, &item).second) {
      order.push_back(element);
    }
  }
  return items;
}

class Comparer {
 public:
  explicit Comparer(Comparison& out) : out_(out) {}

  void compare(const json* lhs, const json* rhs, const FieldType& type) {
    Shape left = shapeOf(lhs);
    Shape right = shapeOf(rhs);
    if (left != Shape::Absent && right != Shape::Absent && left != right) {
      out_.modified.insert(path_);
      return;
    }
    Shape shape = left != Shape::Absent ? left : right;
    bool both_empty = (lhs == nullptr || lhs->empty()) && (rhs == nullptr || rhs->empty());
    if (shape == Shape::Object && !type.atomicMap() && !both_empty) {
      compareMaps(lhs, rhs, type);
      return;
    }
    if (shape == Shape::Array && !both_empty) {
      ListRule rule = type.listRule(lhs, rhs);
      if (rule.kind != ListKind::Atomic) {
        compareLists(lhs, rhs, rule, type);
        return;
      }
    }
    leaf(lhs, rhs);
  }

 private:
  void leaf(const json* lhs, const json* rhs) {
    if (lhs == nullptr) {
      out_.added.insert(path_);
    } else if (rhs == nullptr) {
      out_.removed.insert(path_);
    } else if (*lhs != *rhs) {
      out_.modified.insert(path_);
    }
  }

  void addedOrRemoved(const json* lhs, const json* rhs) {
    if (lhs == nullptr) {
      out_.added.insert(path_);
    } else if (rhs == nullptr) {
      out_.removed.insert(path_);
    }
  }

  void compareMaps(const json* lhs, const json* rhs, const FieldType& type) {
    std::set<std::string> keys;
    for (const json* side : {lhs, rhs}) {
      if (side != nullptr) {
        for (const auto& [key, value] : side->items()) {
          keys.insert(key);
        }
      }
    }
    for (const auto& key : keys) {
      path_.push_back("f:" + key);
      compare(find(lhs, key), find(rhs, key), type.field(key));
      path_.pop_back();
    }
    addedOrRemoved(lhs, rhs);
  }

  void compareLists(const json* lhs, const json* rhs, const ListRule& rule, const FieldType& type) {
    std::vector<std::string> order;
    auto left = indexItems(lhs, rule, order);
    auto right = indexItems(rhs, rule, order);
    std::set<std::string> seen;
    FieldType item_type = type.item();
    for (const auto& element : order) {
      if (!seen.insert(element).second) {
        continue;
      }
      auto l = left.find(element);
      auto r = right.find(element);
      path_.push_back(element);
      compare(l == left.end() ? nullptr : l->second, r == right.end() ? nullptr : r->second,
              item_type);
      path_.pop_back();
    }
    addedOrRemoved(lhs, rhs);
  }

  Comparison& out_;
  FieldPath path_;
};

json mergeAt(const json* live, const json& config, const FieldType& type);

std::optional<std::string> popFront(std::deque<std::string>& queue) {
  if (queue.empty()) {
    return std::nullopt;
  }
  std::string front = std::move(queue.front());
  queue.pop_front();
  return front;
}

// structured-merge-diff's list merge order: live items keep their places, applied items come
// in the applied order, items both have are merged where the applied order puts them.
json mergeLists(const json& live, const json& config, const ListRule& rule,
                const FieldType& item_type) {
  std::vector<std::string> lpes;
  std::vector<std::string> rpes;
  auto lobs = indexItems(&live, rule, lpes);
  auto robs = indexItems(&config, rule, rpes);
  std::deque<std::string> shared;
  for (const auto& pe : rpes) {
    if (lobs.count(pe) != 0) {
      shared.push_back(pe);
    }
  }
  std::optional<std::string> next_shared = popFront(shared);
  std::set<std::string> merged;
  json out = json::array();
  size_t li = 0;
  size_t ri = 0;
  while (li < lpes.size() || ri < rpes.size()) {
    if (li < lpes.size() && ri < rpes.size()) {
      const std::string& pe = lpes[li];
      if (pe == rpes[ri]) {
        merged.insert(pe);
        out.push_back(mergeAt(lobs[pe], *robs[pe], item_type));
        ++li;
        ++ri;
        next_shared = popFront(shared);
        continue;
      }
      if (robs.count(pe) != 0 && next_shared && *next_shared != pe) {
        ++li;  // shared, but not the one to place now
        continue;
      }
    }
    if (li < lpes.size()) {
      const std::string& pe = lpes[li];
      if (robs.count(pe) == 0) {
        out.push_back(*lobs[pe]);
        ++li;
        continue;
      }
      if (merged.count(pe) != 0) {
        ++li;
      }
    }
    if (ri < rpes.size()) {
      std::string pe = rpes[ri];
      merged.insert(pe);
      auto l = lobs.find(pe);
      out.push_back(mergeAt(l == lobs.end() ? nullptr : l->second, *robs[pe], item_type));
      ++ri;
      if (next_shared && *next_shared == pe) {
        next_shared = popFront(shared);
      }
    }
  }
  return out;
}

json mergeAt(const json* live, const json& config, const FieldType& type) {
  if (config.is_object() && !type.atomicMap() && (live == nullptr || live->is_object())) {
    json out = live != nullptr ? *live : json::object();
    for (const auto& [key, value] : config.items()) {
      if (value.is_null()) {
        out.erase(key);
        continue;
      }
      out[key] = mergeAt(find(live, key), value, type.field(key));
    }
    return out;
  }
  if (config.is_array()) {
    const json* lhs = live != nullptr && live->is_array() ? live : nullptr;
    ListRule rule = type.listRule(lhs, &config);
    if (rule.kind == ListKind::Atomic) {
      return config;
    }
    return mergeLists(lhs != nullptr ? *lhs : json::array(), config, rule, type.item());
  }
  return config;
}

json removeAt(const json& value, const FieldSet& remove, const FieldType& type) {
  if (value.is_object()) {
    if (type.atomicMap()) {
      return value;
    }
    json out = json::object();
    for (const auto& [key, child] : value.items()) {
      const FieldSet* node = remove.child("f:" + key);
      if (node != nullptr && node->isMember()) {
        continue;
      }
      if (node == nullptr) {
        out[key] = child;
        continue;
      }
      json kept = removeAt(child, *node, type.field(key));
      if (isEmptyContainer(kept) && !isEmptyContainer(child)) {
        continue;  // emptied by the removal: gone as a whole
      }
      out[key] = std::move(kept);
    }
    return out;
  }
  if (value.is_array()) {
    ListRule rule = type.listRule(&value);
    if (rule.kind == ListKind::Atomic) {
      return value;
    }
    json out = json::array();
    FieldType item_type = type.item();
    for (const auto& item : value) {
      const FieldSet* node = remove.child(FieldType::itemElement(rule, item));
      if (node != nullptr && node->isMember()) {
        continue;
      }
      out.push_back(node == nullptr ? item : removeAt(item, *node, item_type));
    }
    return out;
  }
  return value;
}

FieldSet ensureAt(const FieldSet& set, const FieldType& type) {
  FieldSet out;
  out.setMember(set.isMember());
  for (const auto& [element, child] : set.children()) {
    if (element.rfind("f:", 0) == 0) {
      std::string name = element.substr(2);
      FieldSet node = ensureAt(child, type.field(name));
      if (type.declares(name)) {
        node.setMember(true);
      }
      out.childAt(element) = std::move(node);
      continue;
    }
    out.childAt(element) = ensureAt(child, type.item());
  }
  return out;
}

}  // namespace

FieldSet fieldSetOf(const json& value, const FieldType& type) {
  FieldSet set;
  collect(value, type, set);
  set.compact();
  return set;
}

Comparison compareValues(const json& lhs, const json& rhs, const FieldType& type) {
  Comparison out;
  Comparer comparer(out);
  comparer.compare(&lhs, &rhs, type);
  return out;
}

json mergeValues(const json& live, const json& config, const FieldType& type) {
  return mergeAt(&live, config, type);
}

json removeFields(const json& value, const FieldSet& remove, const FieldType& type) {
  if (remove.empty()) {
    return value;
  }
  return removeAt(value, remove, type);
}

FieldSet withNamedFieldsAsMembers(const FieldSet& set, const FieldType& type) {
  return ensureAt(set, type);
}

}  // namespace univirt::kubelite
