#include "core/util/log.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/util/clock.h"
#include "test_support.h"

namespace univirt::log {
namespace {

using testing::readFile;
using testing::TempDir;

// Captures console lines; the FakeClock starts at 2026-01-01T00:00:00Z.
struct Captured {
  util::FakeClock clock;
  std::string lines;

  std::unique_ptr<Logger> logger(Options options) {
    options.console = [this](std::string_view line) { lines += line; };
    auto created = Logger::create(std::move(options), clock);
    EXPECT_TRUE(created.has_value());
    return created ? std::move(*created) : nullptr;
  }
};

TEST(Log, TextLineCarriesStandardFieldsFirst) {
  Captured out;
  auto logger = out.logger({.daemon = "virtctl"});
  logger->write(Level::Info, "operation finished",
                {{"kind", "VirtualMachine"}, {"op", "startVM"}, {"duration_ms", 183}});
  EXPECT_EQ(out.lines,
            "ts=2026-01-01T00:00:00.000Z level=info daemon=virtctl msg=\"operation finished\" "
            "kind=VirtualMachine op=startVM duration_ms=183\n");
}

TEST(Log, TimestampHasMilliseconds) {
  Captured out;
  auto logger = out.logger({.daemon = "virtlet"});
  out.clock.advance(std::chrono::milliseconds(61'234));
  logger->write(Level::Warn, "relist", {});
  EXPECT_EQ(out.lines, "ts=2026-01-01T00:01:01.234Z level=warn daemon=virtlet msg=relist\n");
}

TEST(Log, TextQuotesAndEscapesValuesThatNeedIt) {
  Captured out;
  auto logger = out.logger({.daemon = "virtctl"});
  logger->write(Level::Error, "failed",
                {{"empty", ""},
                 {"space", "a b"},
                 {"quote", "say \"hi\""},
                 {"equals", "a=b"},
                 {"newline", "one\ntwo"},
                 {"backslash", "c:\\x"},
                 {"control", std::string("bell\x07")},
                 {"plain", "pool-1/disk.qcow2"},
                 {"flag", true}});
  EXPECT_EQ(out.lines,
            "ts=2026-01-01T00:00:00.000Z level=error daemon=virtctl msg=failed empty=\"\" "
            "space=\"a b\" quote=\"say \\\"hi\\\"\" equals=\"a=b\" newline=\"one\\ntwo\" "
            "backslash=\"c:\\\\x\" control=\"bell\\u0007\" plain=pool-1/disk.qcow2 flag=true\n");
}

TEST(Log, JsonLineIsOneObjectWithTypedFields) {
  Captured out;
  auto logger = out.logger({.daemon = "virtctl", .format = Format::Json});
  logger->write(Level::Info, "operation finished",
                {{"name", "vm \"1\"\n"}, {"attempt", 2}, {"ok", false}, {"ratio", 0.5}});
  EXPECT_EQ(out.lines,
            "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"level\":\"info\",\"daemon\":\"virtctl\","
            "\"msg\":\"operation finished\",\"name\":\"vm \\\"1\\\"\\n\",\"attempt\":2,"
            "\"ok\":false,\"ratio\":0.5}\n");
  auto parsed = nlohmann::json::parse(out.lines);
  EXPECT_EQ(parsed["name"], "vm \"1\"\n");
  EXPECT_EQ(parsed["attempt"], 2);
}

TEST(Log, JsonReplacesInvalidUtf8AndQuotesNonFiniteNumbers) {
  Captured out;
  auto logger = out.logger({.daemon = "virtctl", .format = Format::Json});
  logger->write(
      Level::Info, "odd input",
      {{"bytes", std::string("a\xff")}, {"nan", std::numeric_limits<double>::quiet_NaN()}});
  auto parsed = nlohmann::json::parse(out.lines);  // throws if the line were not valid JSON
  EXPECT_EQ(parsed["bytes"], "a\xEF\xBF\xBD");
  EXPECT_EQ(parsed["nan"], "nan");
}

TEST(Log, DropsLinesBelowTheLevel) {
  Captured out;
  auto logger = out.logger({.daemon = "d", .level = Level::Warn});
  logger->write(Level::Debug, "debug line", {});
  logger->write(Level::Info, "info line", {});
  logger->write(Level::Warn, "warn line", {});
  logger->write(Level::Error, "error line", {});
  EXPECT_EQ(out.lines,
            "ts=2026-01-01T00:00:00.000Z level=warn daemon=d msg=\"warn line\"\n"
            "ts=2026-01-01T00:00:00.000Z level=error daemon=d msg=\"error line\"\n");
  EXPECT_FALSE(logger->enabled(Level::Info));
  EXPECT_TRUE(logger->enabled(Level::Warn));
}

TEST(Log, ParsesLevelAndFormatNames) {
  EXPECT_EQ(parseLevel("trace"), Level::Trace);
  EXPECT_EQ(parseLevel("error"), Level::Error);
  EXPECT_EQ(parseLevel("ERROR"), std::nullopt);
  EXPECT_EQ(parseLevel("warning"), std::nullopt);
  EXPECT_EQ(parseFormat("json"), Format::Json);
  EXPECT_EQ(parseFormat("logfmt"), std::nullopt);
  EXPECT_EQ(levelName(Level::Debug), "debug");
  EXPECT_EQ(formatName(Format::Text), "text");
}

TEST(Log, AppendsToFileAndReopensAfterRotation) {
  TempDir dir;
  std::string path = dir.file("virtctl.log");
  testing::writeFile(path, "earlier line\n");
  Captured out;
  auto logger = out.logger({.daemon = "virtctl", .file = path});
  logger->write(Level::Info, "first", {});
  // logrotate renames the file; lines keep going to the renamed file until the reopen.
  std::filesystem::rename(path, path + ".1");
  logger->write(Level::Info, "second", {});
  ASSERT_TRUE(logger->reopen().has_value());
  logger->write(Level::Info, "third", {});

  EXPECT_EQ(readFile(path + ".1"),
            "earlier line\n"
            "ts=2026-01-01T00:00:00.000Z level=info daemon=virtctl msg=first\n"
            "ts=2026-01-01T00:00:00.000Z level=info daemon=virtctl msg=second\n");
  EXPECT_EQ(readFile(path), "ts=2026-01-01T00:00:00.000Z level=info daemon=virtctl msg=third\n");
  EXPECT_EQ(std::count(out.lines.begin(), out.lines.end(), '\n'), 3);  // and on the console
}

TEST(Log, CreateFailsWhenTheFileCannotBeOpened) {
  TempDir dir;
  std::string path = dir.file("missing/virtctl.log");
  auto created = Logger::create({.daemon = "virtctl", .file = path});
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().message,
            "cannot open log file '" + path + "': No such file or directory");
}

TEST(Log, FreeFunctionsWriteThroughTheInstalledLogger) {
  std::string lines;
  ASSERT_TRUE(configure({.daemon = "virtmonitor",
                         .level = Level::Debug,
                         .format = Format::Json,
                         .console = [&](std::string_view line) { lines += line; }})
                  .has_value());
  EXPECT_TRUE(enabled(Level::Debug));
  EXPECT_FALSE(enabled(Level::Trace));
  debug("scraped", {{"domains", 3}});
  trace("not written", {});
  install(nullptr);  // back to the default before `lines` goes away
  EXPECT_FALSE(enabled(Level::Debug));
  auto parsed = nlohmann::json::parse(lines);
  EXPECT_EQ(parsed["daemon"], "virtmonitor");
  EXPECT_EQ(parsed["level"], "debug");
  EXPECT_EQ(parsed["msg"], "scraped");
  EXPECT_EQ(parsed["domains"], 3);
}

TEST(Log, LinesFromManyThreadsStayWhole) {
  TempDir dir;
  std::string path = dir.file("d.log");
  Captured out;
  auto logger = out.logger({.daemon = "d", .file = path});
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        logger->write(Level::Info, "tick",
                      {{"thread", t}, {"i", i}, {"pad", std::string(200, 'x')}});
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const std::string& text : {out.lines, readFile(path)}) {
    std::istringstream lines(text);
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      ASSERT_TRUE(line.starts_with("ts=2026-01-01T00:00:00.000Z level=info daemon=d msg=tick "))
          << line;
      ASSERT_TRUE(line.ends_with(" pad=" + std::string(200, 'x'))) << line;
    }
    EXPECT_EQ(count, kThreads * kLines);
  }
}

}  // namespace
}  // namespace univirt::log
