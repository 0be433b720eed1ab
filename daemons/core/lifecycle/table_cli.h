#pragma once

// The command line of a tool that runs the rows of an operation table itself, without
// Kubernetes (univirt-sdsctl, univirt-ovnctl): one sub-command per row, whose options are the
// row's parameters; the request is checked by OperationTable::validate exactly as a lifecycle
// request is, run by the row's handler, and its outcome printed as text or, with --json, as one
// JSON object. Each tool keeps its own global options and says through TableCliHooks how a row
// is named, how the parsed options become the handlers' settings and what a done request shows.

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation.h"
#include "core/lifecycle/param_spec.h"
#include "core/util/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace univirt::lifecycle {

class OperationTable;

// Exit codes of run(): the request was done, it failed, or the command line was wrong.
constexpr int kCliExitDone = 0;
constexpr int kCliExitFailure = 1;
constexpr int kCliExitUsage = 2;

// How one row of the table is offered on the command line.
struct TableCliCommand {
  std::string name = {};     // the sub-command: "createDisk" or upstream's "create-disk"
  std::string alias = {};    // a second name for it; empty: none
  std::string summary = {};  // its line in --help
  std::string group = {};    // the --help heading it is listed under; empty: CLI11's "Subcommands"
};

// What a done request shows besides "<key> <name>: done[ (removed)]".
struct TableCliShown {
  nlohmann::json json = nlohmann::json::object();  // keys added to the --json object
  std::string note = {};                           // text appended to the done line
  std::string detail = {};                         // text printed after the done line
};

struct TableCliHooks {
  // "univirt-sdsctl": the prefix of error lines and the request id of every invocation.
  std::string tool = {};
  // Names a row's sub-command. Empty: the operation key with the row's summary.
  std::function<TableCliCommand(const OperationSpec& operation)> command = {};
  // Runs once the command line parsed, before the request is validated: turns the tool's
  // global options into the handlers' settings. An error is a usage error (exit 2), printed as
  // "<tool>: <message>". Empty: an empty ValidationContext.
  std::function<util::Result<ValidationContext>()> prepare = {};
  // What a done request shows; may read the object back. Empty: nothing beyond the done line.
  std::function<TableCliShown(const Invocation& invocation, const Outcome& outcome)> show = {};
};

class TableCli {
 public:
  // `description` heads --help.
  TableCli(const std::string& description, TableCliHooks hooks);
  ~TableCli();
  TableCli(const TableCli&) = delete;
  TableCli& operator=(const TableCli&) = delete;

  // The application, for the tool's own global options (bound to variables it owns and reads
  // in prepare).
  CLI::App& app();
  // Adds --json (print the outcome as one JSON object) here, so the tool chooses its place
  // among the global options in --help.
  void addJsonFlag();

  // Adds one sub-command per row of `table`, parses the command line and runs the chosen
  // request. Returns kCliExitDone, kCliExitFailure or kCliExitUsage (--help exits with 0).
  int run(const OperationTable& table, int argc, const char* const* argv, std::ostream& out,
          std::ostream& err);

 private:
  TableCliHooks hooks_;
  std::unique_ptr<CLI::App> app_;
  bool json_ = false;
};

}  // namespace univirt::lifecycle
