// Fails when a point of the kube-api-semantics.md §3 checklist has no test, or when
// checklist.md names a test that does not exist.

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

constexpr int kChecklistPoints = 37;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> definedTests() {
  std::set<std::string> names;
  const std::regex test_macro(R"(TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\))");
  std::string root = UNIVIRT_SOURCE_DIR;
  for (const char* dir :
       {"/tests/compat", "/tests/integration/kube_lite", "/tests/unit/kube-lite"}) {
    if (!fs::exists(root + dir)) {
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator(root + dir)) {
      if (entry.path().extension() != ".cpp") {
        continue;
      }
      std::string text = slurp(entry.path());
      for (std::sregex_iterator it(text.begin(), text.end(), test_macro), end; it != end; ++it) {
        names.insert((*it)[1].str() + "." + (*it)[2].str());
      }
    }
  }
  return names;
}

TEST(Checklist, EveryPointHasATest) {
  std::string table = slurp(std::string(UNIVIRT_SOURCE_DIR) + "/tests/compat/checklist.md");
  std::map<int, std::vector<std::string>> points;
  const std::regex row(R"(^\|\s*(\d+)\s*\|\s*([^|]*)\|)");
  std::istringstream lines(table);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_search(line, match, row)) {
      continue;
    }
    std::stringstream names(match[2].str());
    std::string name;
    while (std::getline(names, name, ',')) {
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) {
        points[std::stoi(match[1].str())].push_back(name);
      }
    }
  }
  std::set<std::string> defined = definedTests();
  ASSERT_FALSE(defined.empty());
  for (int point = 1; point <= kChecklistPoints; ++point) {
    ASSERT_TRUE(points.count(point) != 0 && !points[point].empty())
        << "checklist point " << point << " has no test in tests/compat/checklist.md";
    for (const auto& name : points[point]) {
      EXPECT_TRUE(defined.count(name) != 0)
          << "checklist point " << point << " names '" << name << "', which is not defined";
    }
  }
}

}  // namespace
