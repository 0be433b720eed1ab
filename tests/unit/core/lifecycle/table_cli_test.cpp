// TableCli, the command line univirt-sdsctl and univirt-ovnctl share, over a small table whose
// handlers really write and remove files in a temporary directory: sub-commands and their
// options come from the table, requests are validated as lifecycle requests are, and the outcome
// is printed as text or JSON with the tool's own additions.

#include "core/lifecycle/table_cli.h"

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include "core/lifecycle/operation_table.h"

namespace univirt::lifecycle {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// What the handlers work on; the tool's --dir option fills it.
struct NotesDeps {
  std::string dir;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

OperationTable makeNotesTable(NotesDeps& deps) {
  OperationTable table;
  table.add({.kind = "Note",
             .key = "writeNote",
             .name_field = "name",
             .params = {{.name = "name", .type = ParamType::String, .required = true},
                        {.name = "text",
                         .type = ParamType::String,
                         .required = true,
                         .help = "what the note says"},
                        {.name = "case",
                         .type = ParamType::String,
                         .allowed = {"lower", "upper"},
                         .help = "how the text is written"},
                        {.name = "copies",
                         .type = ParamType::Integer,
                         .min = 1,
                         .max = 3,
                         .help = "lines of the text"},
                        {.name = "append",
                         .type = ParamType::Boolean,
                         .help = "add to the note instead of replacing it"}},
             .summary = "Write a note file.",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               std::string text = invocation.params.string("text");
               if (invocation.params.string("case") == "upper") {
                 for (char& c : text) {
                   c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                 }
               }
               const fs::path path = fs::path(deps.dir) / invocation.name;
               std::ofstream out(
                   path, invocation.params.flag("append") ? std::ios::app : std::ios::trunc);
               for (std::int64_t i = 0; i < invocation.params.integer("copies", 1); ++i) {
                 out << text << "\n";
               }
               out.close();
               if (!out) {
                 return util::Error{util::ErrorCode::Unavailable,
                                    fmt::format("cannot write '{}'", path.string())};
               }
               return Outcome{.message = fmt::format("{} bytes", fs::file_size(path)),
                              .spec_fields = {{"path", path.string()}}};
             }});
  table.add({.kind = "Note",
             .key = "deleteNote",
             .name_field = "name",
             .params = {{.name = "name", .type = ParamType::String, .required = true}},
             .summary = "Remove a note file.",
             .handler = [&deps](const Invocation& invocation) -> util::Result<Outcome> {
               const fs::path path = fs::path(deps.dir) / invocation.name;
               std::error_code error;
               if (!fs::remove(path, error)) {
                 return util::Error{util::ErrorCode::NotFound,
                                    fmt::format("note '{}' does not exist", invocation.name)};
               }
               return Outcome{.message = "", .object_deleted = true};
             }});
  return table;
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

class TableCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "univirt-tablecli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The "notectl" tool: rows offered under their key with upstream-style aliases, --dir as its
  // own option, the written file shown after a done request.
  CliRun notectl(std::vector<std::string> args) {
    NotesDeps deps;
    const OperationTable table = makeNotesTable(deps);
    TableCli cli("notectl: notes in a directory.",
                 {.tool = "notectl",
                  .command =
                      [](const OperationSpec& operation) {
                        return TableCliCommand{
                            .name = operation.key,
                            .alias = operation.key == "writeNote" ? "write-note" : "",
                            .summary = operation.summary,
                            .group = operation.kind};
                      },
                  .prepare = [&deps]() -> util::Result<ValidationContext> {
                    if (!fs::path(deps.dir).is_absolute() || !fs::is_directory(deps.dir)) {
                      return util::Error{util::ErrorCode::InvalidArgument,
                                         fmt::format("--dir '{}' is not a directory", deps.dir)};
                    }
                    return ValidationContext{};
                  },
                  .show =
                      [&deps](const Invocation& invocation, const Outcome& outcome) {
                        TableCliShown shown;
                        shown.json["message"] = outcome.message;
                        shown.json["spec"] = outcome.spec_fields;
                        shown.note = outcome.message.empty() ? "" : ": " + outcome.message;
                        if (!outcome.object_deleted) {
                          shown.detail = readFile(fs::path(deps.dir) / invocation.name);
                        }
                        return shown;
                      }});
    cli.app().add_option("--dir", deps.dir, "where the notes are");
    cli.addJsonFlag();
    args.insert(args.begin(), "notectl");
    std::vector<const char*> argv;
    for (const auto& arg : args) {
      argv.push_back(arg.c_str());
    }
    std::ostringstream out;
    std::ostringstream err;
    CliRun run;
    run.code = cli.run(table, static_cast<int>(argv.size()), argv.data(), out, err);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  fs::path dir_;
};

TEST_F(TableCliTest, HelpListsEveryKeyWithItsParameters) {
  NotesDeps deps;
  const OperationTable table = makeNotesTable(deps);
  auto help = notectl({"--help"});
  EXPECT_EQ(help.code, kCliExitDone);
  EXPECT_THAT(help.out, HasSubstr("notectl: notes in a directory."));
  EXPECT_THAT(help.out, HasSubstr("--json"));
  EXPECT_THAT(help.out, HasSubstr("--dir"));
  for (const auto& operation : table.all()) {
    EXPECT_THAT(help.out, HasSubstr(operation.key));
    EXPECT_THAT(help.out, HasSubstr(operation.summary));
    auto sub = notectl({operation.key, "--help"});
    EXPECT_EQ(sub.code, kCliExitDone) << operation.key;
    for (const auto& param : operation.params) {
      EXPECT_THAT(sub.out, HasSubstr("--" + param.name)) << operation.key;
      EXPECT_THAT(sub.out, HasSubstr(param.help)) << operation.key;
    }
  }
  auto write = notectl({"writeNote", "--help"});
  EXPECT_THAT(write.out, HasSubstr("how the text is written (one of: lower, upper)"));
  EXPECT_THAT(write.out, HasSubstr("lines of the text (1-3)"));
  // The alias names the same sub-command.
  EXPECT_EQ(notectl({"write-note", "--help"}).out, write.out);
}

TEST_F(TableCliTest, RunsTheHandlerAndPrintsTheDoneLine) {
  auto written = notectl({"--dir", dir_.string(), "writeNote", "--name", "n1", "--text", "hello",
                          "--copies", "2", "--case", "upper"});
  EXPECT_EQ(written.code, kCliExitDone) << written.err;
  EXPECT_EQ(readFile(dir_ / "n1"), "HELLO\nHELLO\n");
  EXPECT_EQ(written.out, "writeNote n1: done: 12 bytes\nHELLO\nHELLO\n");
  EXPECT_EQ(written.err, "");

  auto appended =
      notectl({"--dir", dir_.string(), "write-note", "--name", "n1", "--text", "x", "--append"});
  EXPECT_EQ(appended.code, kCliExitDone) << appended.err;
  EXPECT_EQ(readFile(dir_ / "n1"), "HELLO\nHELLO\nx\n");

  auto deleted = notectl({"--dir", dir_.string(), "deleteNote", "--name", "n1"});
  EXPECT_EQ(deleted.code, kCliExitDone) << deleted.err;
  EXPECT_FALSE(fs::exists(dir_ / "n1"));
  EXPECT_EQ(deleted.out, "deleteNote n1: done (removed)\n");
}

TEST_F(TableCliTest, MissingRequiredParameterIsRejectedWithTheFieldNamed) {
  auto no_text = notectl({"--dir", dir_.string(), "writeNote", "--name", "n1"});
  EXPECT_EQ(no_text.code, kCliExitUsage);
  EXPECT_THAT(no_text.err, HasSubstr("--text is required"));
  auto no_name = notectl({"--dir", dir_.string(), "writeNote", "--text", "t"});
  EXPECT_EQ(no_name.code, kCliExitUsage);
  EXPECT_THAT(no_name.err, HasSubstr("--name is required"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(TableCliTest, RequestIsValidatedAsALifecycleRequest) {
  auto too_many = notectl(
      {"--dir", dir_.string(), "writeNote", "--name", "n1", "--text", "t", "--copies", "7"});
  EXPECT_EQ(too_many.code, kCliExitUsage);
  EXPECT_THAT(too_many.err, HasSubstr("notectl: spec.lifecycle.writeNote.copies:"));
  auto bad_case = notectl(
      {"--dir", dir_.string(), "writeNote", "--name", "n1", "--text", "t", "--case", "title"});
  EXPECT_EQ(bad_case.code, kCliExitUsage);
  EXPECT_THAT(bad_case.err, HasSubstr("spec.lifecycle.writeNote.case:"));
  EXPECT_THAT(bad_case.err, HasSubstr("title"));
  EXPECT_TRUE(fs::is_empty(dir_));
  EXPECT_EQ(too_many.out, "");
}

TEST_F(TableCliTest, PrepareErrorIsAUsageError) {
  auto relative = notectl({"--dir", "notes", "writeNote", "--name", "n1", "--text", "t"});
  EXPECT_EQ(relative.code, kCliExitUsage);
  EXPECT_EQ(relative.err, "notectl: --dir 'notes' is not a directory\n");
  EXPECT_EQ(relative.out, "");
}

TEST_F(TableCliTest, JsonPrintsTheOutcome) {
  auto written =
      notectl({"--dir", dir_.string(), "--json", "writeNote", "--name", "n2", "--text", "abc"});
  ASSERT_EQ(written.code, kCliExitDone) << written.err;
  auto done = nlohmann::json::parse(written.out);
  EXPECT_EQ(done, (nlohmann::json{{"operation", "writeNote"},
                                  {"kind", "Note"},
                                  {"name", "n2"},
                                  {"ok", true},
                                  {"deleted", false},
                                  {"message", "4 bytes"},
                                  {"spec", {{"path", (dir_ / "n2").string()}}}}));

  auto missing = notectl({"--dir", dir_.string(), "--json", "deleteNote", "--name", "nosuch"});
  EXPECT_EQ(missing.code, kCliExitFailure);
  auto failed = nlohmann::json::parse(missing.out);
  EXPECT_EQ(failed["ok"], false);
  EXPECT_EQ(failed["error"]["code"], "NotFound");
  EXPECT_EQ(failed["error"]["message"], "note 'nosuch' does not exist");
  EXPECT_FALSE(failed.contains("deleted"));
  EXPECT_FALSE(failed.contains("message"));
  // With --json the outcome is on stdout only.
  EXPECT_EQ(missing.err, "");
}

TEST_F(TableCliTest, FailureIsPrintedAndExitsOne) {
  auto missing = notectl({"--dir", dir_.string(), "deleteNote", "--name", "nosuch"});
  EXPECT_EQ(missing.code, kCliExitFailure);
  EXPECT_EQ(missing.out, "deleteNote nosuch: failed: note 'nosuch' does not exist\n");
  EXPECT_EQ(missing.err, "notectl: note 'nosuch' does not exist\n");
}

TEST_F(TableCliTest, EmptyHooksOfferKeysAndShowOnlyTheDoneLine) {
  NotesDeps deps{.dir = dir_.string()};
  const OperationTable table = makeNotesTable(deps);
  TableCli cli("plain", {.tool = "plainctl"});
  cli.addJsonFlag();
  const std::vector<const char*> argv = {"plainctl", "writeNote", "--name", "n3", "--text", "t"};
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli.run(table, static_cast<int>(argv.size()), argv.data(), out, err), kCliExitDone);
  EXPECT_EQ(out.str(), "writeNote n3: done\n");
  EXPECT_EQ(readFile(dir_ / "n3"), "t\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("bytes")));
}

TEST_F(TableCliTest, UnknownSubcommandIsAUsageError) {
  auto unknown = notectl({"--dir", dir_.string(), "eraseNote", "--name", "n1"});
  EXPECT_EQ(unknown.code, kCliExitUsage);
  EXPECT_THAT(unknown.err, HasSubstr("A subcommand is required"));
  EXPECT_EQ(unknown.out, "");
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace univirt::lifecycle
