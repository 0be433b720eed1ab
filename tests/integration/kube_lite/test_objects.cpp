#include "integration/kube_lite/test_objects.h"

#include <yaml-cpp/yaml.h>

namespace univirt::testing {

using nlohmann::json;

namespace {

json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) {
        out[item.first.as<std::string>()] = toJson(item.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) {
        out.push_back(toJson(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") {
        return text;
      }
      if (text == "true" || text == "false") {
        return text == "true";
      }
      try {
        size_t used = 0;
        long long value = std::stoll(text, &used);
        if (used == text.size()) {
          return value;
        }
      } catch (const std::exception&) {
        // a string
      }
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace

json yamlFixture(const std::string& name) { return toJson(YAML::LoadFile(kubeLiteFixture(name))); }

int installCrd(KubeHttp& http, const std::string& fixture) {
  return http.post(kCrdPath, yamlFixture(fixture)).status;
}

json vm(const std::string& name, const std::string& powerstate, const json& labels) {
  json object = {{"apiVersion", "doslab.io/v1"},
                 {"kind", "VirtualMachine"},
                 {"metadata", {{"name", name}}},
                 {"spec", {{"powerstate", powerstate}, {"nodeName", "node1"}}}};
  if (!labels.empty()) {
    object["metadata"]["labels"] = labels;
  }
  return object;
}

}  // namespace univirt::testing
