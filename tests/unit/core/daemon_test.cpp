#include "core/daemon.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/gauge.h>
#include <unistd.h>

#include "core/util/clock.h"
#include "core/util/log.h"
#include "util/test_support.h"

namespace univirt::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::httpRequest;

constexpr auto kWait = seconds(10);

// Records start/stop calls in order; a runnable's start may wait for the test.
struct Journal {
  std::mutex mu;
  std::vector<std::string> events;  // guarded by mu

  void record(std::string event) {
    std::lock_guard lock(mu);
    events.push_back(std::move(event));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mu);
    return events;
  }
  Runnable runnable(const std::string& name, const util::Status& start_result = util::ok()) {
    return Runnable{.name = name,
                    .start =
                        [this, name, start_result] {
                          record("start " + name);
                          return start_result;
                        },
                    .stop = [this, name] { record("stop " + name); }};
  }
};

DaemonOptions quietOptions() { return DaemonOptions{.name = "virtctl", .handle_signals = false}; }

// A runnable whose start tells the test that every earlier part is up.
Runnable reached(std::promise<void>& promise) {
  return Runnable{.name = "marker",
                  .start =
                      [&promise] {
                        promise.set_value();
                        return util::ok();
                      },
                  .stop = [] {}};
}

TEST(Daemon, StartsInOrderAndStopsInReverse) {
  Journal journal;
  Daemon daemon(quietOptions());
  daemon.add(journal.runnable("informers"));
  daemon.add(journal.runnable("dispatcher"));
  daemon.add(journal.runnable("workers"));
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  daemon.requestStop();
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), 0);
  EXPECT_EQ(journal.take(),
            (std::vector<std::string>{"start informers", "start dispatcher", "start workers",
                                      "stop workers", "stop dispatcher", "stop informers"}));
  EXPECT_FALSE(daemon.running());
}

TEST(Daemon, StartFailureStopsWhatStartedAndExits1) {
  Journal journal;
  Daemon daemon(quietOptions());
  daemon.add(journal.runnable("informers"));
  daemon.add(journal.runnable(
      "libvirt", util::Error{util::ErrorCode::Unavailable, "cannot connect to 'qemu:///system'"}));
  daemon.add(journal.runnable("workers"));
  EXPECT_EQ(daemon.run(), 1);
  EXPECT_EQ(journal.take(),
            (std::vector<std::string>{"start informers", "start libvirt", "stop informers"}));
}

TEST(Daemon, StopRequestedBeforeRunStartsNothing) {
  Journal journal;
  Daemon daemon(quietOptions());
  daemon.add(journal.runnable("informers"));
  daemon.requestStop();
  EXPECT_EQ(daemon.run(), 0);
  EXPECT_TRUE(journal.take().empty());
}

TEST(Daemon, FailStopsTheDaemonWithExit1) {
  Journal journal;
  Daemon daemon(quietOptions());
  daemon.add(journal.runnable("watch"));
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  daemon.fail(util::Error{util::ErrorCode::Internal, "event loop died"});
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), 1);
  EXPECT_EQ(journal.take(), (std::vector<std::string>{"start watch", "stop watch"}));
}

TEST(Daemon, SigtermStopsTheDaemon) {
  Journal journal;
  DaemonOptions options = quietOptions();
  options.handle_signals = true;
  Daemon daemon(options);
  daemon.add(journal.runnable("informers"));
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), 0);
  EXPECT_EQ(journal.take(), (std::vector<std::string>{"start informers", "stop informers"}));
}

TEST(Daemon, SighupReopensTheLogFile) {
  testing::TempDir dir;
  std::string path = dir.file("virtctl.log");
  std::promise<void> reopened;
  struct ResetLogger {
    ~ResetLogger() { log::install(nullptr); }  // the console below captures locals
  } reset_logger;
  ASSERT_TRUE(log::configure({.daemon = "virtctl",
                              .file = path,
                              .console =
                                  [&](std::string_view line) {
                                    if (line.find("msg=\"log file reopened\"") !=
                                        std::string_view::npos) {
                                      reopened.set_value();
                                    }
                                  }})
                  .has_value());
  DaemonOptions options = quietOptions();
  options.handle_signals = true;
  Daemon daemon(options);
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  std::filesystem::rename(path, path + ".1");
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  ASSERT_EQ(reopened.get_future().wait_for(kWait), std::future_status::ready);
  daemon.requestStop();
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  std::string fresh = testing::readFile(path);
  EXPECT_TRUE(fresh.starts_with("ts=")) << fresh;
  EXPECT_NE(fresh.find("msg=\"log file reopened\""), std::string::npos) << fresh;
  EXPECT_NE(testing::readFile(path + ".1").find("msg=\"daemon started\""), std::string::npos);
}

TEST(Daemon, ServesReadyzOnlyWhileRunning) {
  DaemonOptions options = quietOptions();
  options.health_address = "127.0.0.1:0";
  Daemon daemon(options);
  prometheus::BuildGauge()
      .Name("univirt_virtctl_workers")
      .Help("Workers.")
      .Register(daemon.registry())
      .Add({})
      .Set(4);
  std::atomic<bool> synced{false};
  daemon.addReadinessCheck("caches-synced", [&] { return synced.load(); });
  std::promise<void> starting;
  std::promise<void> release;
  daemon.add(Runnable{.name = "slow-start",
                      .start =
                          [&] {
                            starting.set_value();
                            release.get_future().wait();
                            return util::ok();
                          },
                      .stop = [] {}});
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(starting.get_future().wait_for(kWait), std::future_status::ready);

  std::uint16_t port = daemon.healthPort();
  ASSERT_NE(port, 0);
  EXPECT_EQ(httpRequest(port, "/healthz").status, 200);
  auto starting_reply = httpRequest(port, "/readyz");
  EXPECT_EQ(starting_reply.status, 503);
  EXPECT_EQ(starting_reply.body, "not ready: daemon, caches-synced\n");

  release.set_value();
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  // The daemon marks itself started just after the last runnable's start returns: wait for it.
  std::string body = httpRequest(port, "/readyz").body;
  for (auto deadline = std::chrono::steady_clock::now() + kWait;
       body != "not ready: caches-synced\n" && std::chrono::steady_clock::now() < deadline;
       body = httpRequest(port, "/readyz").body) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(body, "not ready: caches-synced\n");
  synced = true;
  EXPECT_EQ(httpRequest(port, "/readyz").status, 200);
  EXPECT_NE(httpRequest(port, "/metrics").body.find("\nunivirt_virtctl_workers 4\n"),
            std::string::npos);

  daemon.requestStop();
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), 0);
  EXPECT_EQ(daemon.healthPort(), 0);
  EXPECT_ANY_THROW(httpRequest(port, "/healthz"));  // the server is gone
}

TEST(Daemon, StopOverrunningTheDeadlineCallsOnStopTimeout) {
  util::FakeClock clock;
  std::promise<void> unblock;
  std::shared_future<void> unblocked = unblock.get_future().share();
  std::string overran;
  DaemonOptions options = quietOptions();
  options.stop_timeout = seconds(5);
  options.on_stop_timeout = [&](const std::string& runnable) {
    overran = runnable;
    unblock.set_value();  // a real daemon would exit here
  };
  Daemon daemon(options, clock);
  Journal journal;
  daemon.add(journal.runnable("informers"));
  std::promise<void> stopping;
  daemon.add(Runnable{.name = "hung",
                      .start = [] { return util::ok(); },
                      .stop =
                          [unblocked, &stopping] {
                            stopping.set_value();
                            unblocked.wait();
                          }});
  std::promise<void> up;
  daemon.add(reached(up));
  auto code = std::async(std::launch::async, [&] { return daemon.run(); });
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  daemon.requestStop();
  ASSERT_EQ(stopping.get_future().wait_for(kWait), std::future_status::ready);
  ASSERT_TRUE(clock.waitForSleepers(1, std::chrono::duration_cast<milliseconds>(kWait)));
  clock.advance(seconds(4));
  EXPECT_EQ(code.wait_for(milliseconds(0)), std::future_status::timeout);  // still in time
  clock.advance(seconds(1));
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), 1);
  EXPECT_EQ(overran, "hung");
  EXPECT_EQ(journal.take(), (std::vector<std::string>{"start informers", "stop informers"}));
}

TEST(Daemon, OptionsComeFromTheCommonConfig) {
  util::ConfigSchema schema("virtlet", "test");
  auto loaded =
      util::loadConfig(schema,
                       std::vector<std::string>{"--config", "", "--health-address",
                                                "127.0.0.1:19991", "--stop-timeout", "45s"},
                       {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  DaemonOptions options = Daemon::optionsFrom(loaded->config);
  EXPECT_EQ(options.name, "virtlet");
  EXPECT_EQ(options.health_address, "127.0.0.1:19991");
  EXPECT_EQ(options.stop_timeout, seconds(45));
  EXPECT_TRUE(options.handle_signals);
}

}  // namespace
}  // namespace univirt::core
