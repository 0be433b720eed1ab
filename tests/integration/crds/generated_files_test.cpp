// The committed daemons/crds/*.yaml and docs/operations.md are exactly what univirt-crdgen
// writes from the operation table, and the YAML reads back as the JSON it was written from.

#include <filesystem>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include "core/lifecycle/operation_table.h"
#include "integration/kube_lite/subprocess.h"
#include "tools/crdgen/all_operations.h"
#include "tools/crdgen/crd_builder.h"
#include "tools/crdgen/yaml_writer.h"

namespace univirt::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kRegenerateCrds =
    "regenerate with: cmake --build <build dir> --target update-crds "
    "(runs univirt-crdgen --out daemons/crds)";
constexpr const char* kRegenerateDocs =
    "regenerate with: cmake --build <build dir> --target docs-operations "
    "(runs univirt-crdgen --markdown --out docs/operations.md)";

std::string crdgen() {
  return std::string(UNIVIRT_BINARY_DIR) + "/daemons/tools/crdgen/univirt-crdgen";
}

fs::path sourcePath(const std::string& relative) { return fs::path(UNIVIRT_SOURCE_DIR) / relative; }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "univirt-crds-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The first line where two texts differ, for a readable failure.
std::string firstDifference(const std::string& expected, const std::string& actual) {
  std::istringstream lhs(expected);
  std::istringstream rhs(actual);
  std::string left;
  std::string right;
  for (int line = 1;; ++line) {
    const bool has_left = static_cast<bool>(std::getline(lhs, left));
    const bool has_right = static_cast<bool>(std::getline(rhs, right));
    if (!has_left && !has_right) {
      return "no difference";
    }
    if (has_left != has_right || left != right) {
      return "line " + std::to_string(line) + ": committed '" + (has_left ? left : "<end>") +
             "', generated '" + (has_right ? right : "<end>") + "'";
    }
  }
}

TEST(CrdFiles, MatchTheGenerator) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const ProcessResult run = runProcess({crdgen(), "--out", dir.path().string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::set<std::string> generated;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    generated.insert(name);
    const fs::path committed = sourcePath("daemons/crds") / name;
    ASSERT_TRUE(fs::exists(committed))
        << "daemons/crds/" << name << " is missing; " << kRegenerateCrds;
    const std::string want = readWholeFile(entry.path().string());
    const std::string have = readWholeFile(committed.string());
    EXPECT_TRUE(want == have) << "daemons/crds/" << name << " is out of date ("
                              << firstDifference(have, want) << "); " << kRegenerateCrds;
  }
  EXPECT_EQ(generated.size(), crdgen::contractKinds().size() + 1);
  for (const auto& entry : fs::directory_iterator(sourcePath("daemons/crds"))) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".yaml") {
      EXPECT_TRUE(generated.count(name) == 1)
          << "daemons/crds/" << name << " is not written by univirt-crdgen; remove it";
    }
  }
}

TEST(OperationDocs, MatchCommittedFile) {
  const ProcessResult run = runProcess({crdgen(), "--markdown"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string committed = readWholeFile(sourcePath("docs/operations.md").string());
  EXPECT_TRUE(run.out == committed)
      << "docs/operations.md is out of date (" << firstDifference(committed, run.out) << "); "
      << kRegenerateDocs;
}

TEST(Crdgen, PrintsUsageAndRefusesUnknownArguments) {
  const ProcessResult help = runProcess({crdgen(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--markdown"), std::string::npos) << help.out;
  const ProcessResult bad = runProcess({crdgen(), "--bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown argument '--bogus'"), std::string::npos) << bad.err;
  const ProcessResult all = runProcess({crdgen()});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, readWholeFile(sourcePath("daemons/crds/crds.yaml").string()));
}

// YAML → JSON with YAML 1.2 core-schema resolution of plain scalars; quoted scalars stay
// strings. This is how kubectl reads the files.
ordered_json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      ordered_json out = ordered_json::object();
      for (const auto& entry : node) {
        out[entry.first.as<std::string>()] = toJson(entry.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      ordered_json out = ordered_json::array();
      for (const auto& item : node) {
        out.push_back(toJson(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() != "?") {
        return text;  // quoted
      }
      if (text == "true" || text == "false") {
        return text == "true";
      }
      if (text == "null" || text == "~") {
        return nullptr;
      }
      const auto number = ordered_json::parse(text, nullptr, false);
      return number.is_number() ? number : ordered_json(text);
    }
    default:
      return nullptr;
  }
}

TEST(CrdYaml, ReadsBackAsTheGeneratedDocument) {
  lifecycle::OperationTable table;
  crdgen::addAllOperations(table);
  for (const crdgen::KindInfo& kind : crdgen::contractKinds()) {
    const ordered_json crd = crdgen::buildCrd(kind, table);
    const YAML::Node parsed = YAML::Load(crdgen::toYaml(crd));
    EXPECT_EQ(toJson(parsed), crd) << kind.kind;
  }
  // Strings YAML would read as something else are quoted.
  const ordered_json tricky = {{"empty", ""},
                               {"yes", "yes"},
                               {"True", "True"},
                               {"num", "1024"},
                               {"neg", "-1"},
                               {"float", ".5"},
                               {"colon", "a: b"},
                               {"hash", "a #b"},
                               {"null", "null"},
                               {"list", ordered_json::array({"- x", "[y]", "{z}", "*w"})},
                               {"nested", {{"k", ordered_json::array({{{"a", 1}, {"b", "2"}}})}}}};
  EXPECT_EQ(toJson(YAML::Load(crdgen::toYaml(tricky))), tricky) << crdgen::toYaml(tricky);
}

}  // namespace
}  // namespace univirt::testing
