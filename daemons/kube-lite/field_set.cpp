#include "kube-lite/field_set.h"

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

int elementRank(const std::string& element) {
  switch (element.empty() ? ' ' : element[0]) {
    case 'f':
      return 0;
    case 'k':
      return 1;
    case 'v':
      return 2;
    case 'i':
      return 3;
    default:
      return 4;
  }
}

bool validElement(const std::string& key) {
  return key.size() >= 2 && key[1] == ':' && elementRank(key) < 4;
}

// value.ToString of structured-merge-diff: strings quoted, everything else as JSON prints it.
std::string valueText(const json& value) {
  if (value.is_string()) {
    return json(value.get<std::string>()).dump();
  }
  return value.dump();
}

}  // namespace

bool PathElementLess::operator()(const std::string& lhs, const std::string& rhs) const {
  int lrank = elementRank(lhs);
  int rrank = elementRank(rhs);
  if (lrank != rrank) {
    return lrank < rrank;
  }
  if (lrank == 3) {
    // Indexes by number, not by text ("i:10" after "i:9").
    if (lhs.size() != rhs.size()) {
      return lhs.size() < rhs.size();
    }
  }
  return lhs < rhs;
}

bool FieldSet::empty() const {
  if (member_) {
    return false;
  }
  for (const auto& [element, node] : children_) {
    if (!node.empty()) {
      return false;
    }
  }
  return true;
}

bool FieldSet::has(const FieldPath& path) const {
  const FieldSet* node = this;
  for (const auto& element : path) {
    node = node->child(element);
    if (node == nullptr) {
      return false;
    }
  }
  return node->member_;
}

void FieldSet::insert(const FieldPath& path) {
  FieldSet* node = this;
  for (const auto& element : path) {
    node = &node->children_[element];
  }
  node->member_ = true;
}

const FieldSet* FieldSet::child(const std::string& element) const {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

void FieldSet::compact() {
  for (auto it = children_.begin(); it != children_.end();) {
    it->second.compact();
    if (it->second.empty()) {
      it = children_.erase(it);
      continue;
    }
    ++it;
  }
}

FieldSet FieldSet::unite(const FieldSet& other) const {
  FieldSet out = *this;
  out.member_ = member_ || other.member_;
  for (const auto& [element, node] : other.children_) {
    auto it = out.children_.find(element);
    out.children_[element] = it == out.children_.end() ? node : it->second.unite(node);
  }
  out.compact();
  return out;
}

FieldSet FieldSet::intersect(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && other.member_;
  for (const auto& [element, node] : children_) {
    if (const FieldSet* theirs = other.child(element)) {
      FieldSet both = node.intersect(*theirs);
      if (!both.empty()) {
        out.children_[element] = std::move(both);
      }
    }
  }
  return out;
}

FieldSet FieldSet::minus(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && !other.member_;
  for (const auto& [element, node] : children_) {
    const FieldSet* theirs = other.child(element);
    FieldSet rest = theirs == nullptr ? node : node.minus(*theirs);
    if (!rest.empty()) {
      out.children_[element] = std::move(rest);
    }
  }
  out.compact();
  return out;
}

FieldSet FieldSet::minusRecursive(const FieldSet& other) const {
  if (other.member_) {
    return FieldSet{};
  }
  FieldSet out;
  out.member_ = member_;
  for (const auto& [element, node] : children_) {
    const FieldSet* theirs = other.child(element);
    FieldSet rest = theirs == nullptr ? node : node.minusRecursive(*theirs);
    if (!rest.empty()) {
      out.children_[element] = std::move(rest);
    }
  }
  out.compact();
  return out;
}

void FieldSet::collectPaths(FieldPath& prefix, std::vector<FieldPath>& out) const {
  if (member_) {
    out.push_back(prefix);
  }
  for (const auto& [element, node] : children_) {
    prefix.push_back(element);
    node.collectPaths(prefix, out);
    prefix.pop_back();
  }
}

std::vector<FieldPath> FieldSet::paths() const {
  std::vector<FieldPath> out;
  FieldPath prefix;
  collectPaths(prefix, out);
  return out;
}

json FieldSet::toFieldsV1() const {
  json out = json::object();
  for (const auto& [element, node] : children_) {
    if (node.empty()) {
      continue;
    }
    json encoded = node.toFieldsV1();
    if (node.member_ && !encoded.empty()) {
      encoded["."] = json::object();
    }
    out[element] = std::move(encoded);
  }
  return out;
}

util::Result<FieldSet> FieldSet::fromFieldsV1(const json& fields) {
  if (!fields.is_object()) {
    return util::Error{util::ErrorCode::InvalidArgument,
                       fmt::format("fieldsV1 must be a JSON object, not '{}'", fields.dump())};
  }
  FieldSet out;
  for (const auto& [key, value] : fields.items()) {
    if (key == ".") {
      out.member_ = true;
      continue;
    }
    if (!validElement(key)) {
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("fieldsV1 has the unknown path element '{}'", key)};
    }
    auto child = fromFieldsV1(value);
    if (!child) {
      return child.error();
    }
    if (value.empty()) {
      child->member_ = true;  // a leaf: {"f:x":{}}
    }
    out.children_[key] = std::move(*child);
  }
  return out;
}

bool FieldSet::operator==(const FieldSet& other) const {
  return member_ == other.member_ && children_ == other.children_;
}

std::string formatFieldPath(const FieldPath& path) {
  std::string out;
  for (const auto& element : path) {
    std::string rest = element.size() >= 2 ? element.substr(2) : element;
    switch (elementRank(element)) {
      case 0:
        out += "." + rest;
        break;
      case 1: {
        json keys = json::parse(rest, nullptr, false);
        std::vector<std::string> parts;
        if (keys.is_object()) {
          for (const auto& [name, value] : keys.items()) {
            parts.push_back(name + "=" + valueText(value));
          }
        }
        out += fmt::format("[{}]", fmt::join(parts, ","));
        break;
      }
      case 2: {
        json value = json::parse(rest, nullptr, false);
        out += "[=" + (value.is_discarded() ? rest : valueText(value)) + "]";
        break;
      }
      case 3:
        out += "[" + rest + "]";
        break;
      default:
        out += element;
        break;
    }
  }
  return out;
}

}  // namespace univirt::kubelite
