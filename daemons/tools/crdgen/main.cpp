// univirt-crdgen: writes the CustomResourceDefinitions (daemons/crds/) and the operation
// reference (docs/operations.md) from the operation table, so neither can drift from what
// virtctl validates. The arguments are parsed by hand (four flags; see
// daemons/tools/kubectl_get/main.cpp for why not CLI11).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle/operation_table.h"
#include "tools/crdgen/all_operations.h"
#include "tools/crdgen/crd_builder.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "Usage: univirt-crdgen [--out DIR]\n"
    "       univirt-crdgen --markdown [--out FILE]\n"
    "       univirt-crdgen --help-text\n"
    "\n"
    "Generates from the operation table:\n"
    "  (default)     every CustomResourceDefinition as one multi-document YAML on stdout;\n"
    "                with --out DIR, one file per kind (<singular>.yaml) plus crds.yaml in DIR\n"
    "  --markdown    the operation reference (docs/operations.md) on stdout or into FILE\n"
    "  --help-text   the operations part of virtctl's --help\n"
    "  -h, --help    this text\n"
    "\n"
    "Build targets: update-crds (writes daemons/crds/), docs-operations (docs/operations.md).\n";

enum class Mode { Crds, Markdown, HelpText, Usage };

struct Arguments {
  Mode mode = Mode::Crds;
  std::string out;
};

bool parseArguments(const std::vector<std::string_view>& args, Arguments& parsed,
                    std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.mode = Mode::Usage;
      return true;
    }
    if (arg == "--markdown") {
      parsed.mode = Mode::Markdown;
    } else if (arg == "--help-text") {
      parsed.mode = Mode::HelpText;
    } else if (arg == "--out") {
      if (i + 1 >= args.size()) {
        error = "option '--out' needs a value";
        return false;
      }
      parsed.out = std::string(args[++i]);
    } else if (arg.starts_with("--out=")) {
      parsed.out = std::string(arg.substr(6));
    } else {
      error = "unknown argument '" + std::string(arg) + "'";
      return false;
    }
  }
  if (parsed.mode == Mode::HelpText && !parsed.out.empty()) {
    error = "--help-text prints to stdout; drop --out";
    return false;
  }
  return true;
}

bool writeFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  file.close();
  if (!file) {
    std::cerr << "univirt-crdgen: cannot write '" << path.string() << "'\n";
    return false;
  }
  return true;
}

int writeCrds(const univirt::lifecycle::OperationTable& table, const std::string& out) {
  auto files = univirt::crdgen::renderCrdFiles(table);
  if (!files) {
    std::cerr << "univirt-crdgen: " << files.error().message << '\n';
    return kExitFailure;
  }
  if (out.empty()) {
    std::cout << files->back().content;  // crds.yaml holds every CRD
    return kExitOk;
  }
  std::error_code error;
  std::filesystem::create_directories(out, error);
  if (error) {
    std::cerr << "univirt-crdgen: cannot create '" << out << "': " << error.message() << '\n';
    return kExitFailure;
  }
  for (const auto& file : *files) {
    if (!writeFile(std::filesystem::path(out) / file.file_name, file.content)) {
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  Arguments parsed;
  std::string error;
  if (!parseArguments(args, parsed, error)) {
    std::cerr << "univirt-crdgen: " << error << "\n" << kUsage;
    return kExitUsage;
  }
  if (parsed.mode == Mode::Usage) {
    std::cout << kUsage;
    return kExitOk;
  }
  univirt::lifecycle::OperationTable table;
  univirt::crdgen::addAllOperations(table);
  switch (parsed.mode) {
    case Mode::Crds:
      return writeCrds(table, parsed.out);
    case Mode::Markdown: {
      const std::string markdown = univirt::lifecycle::renderMarkdown(table);
      if (parsed.out.empty()) {
        std::cout << markdown;
        return kExitOk;
      }
      return writeFile(parsed.out, markdown) ? kExitOk : kExitFailure;
    }
    case Mode::HelpText:
      std::cout << univirt::lifecycle::renderHelp(table);
      return kExitOk;
    case Mode::Usage:
      break;
  }
  return kExitOk;
}
