#include "core/virt/reconnecting_connection.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/util/backoff.h"
#include "core/util/clock.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using namespace std::chrono_literals;
using testing::kTestUri;
using testing::kWaitTimeout;
using testing::Recorder;
using util::ErrorCode;

constexpr std::uint64_t kSeed = 42;

// A URI whose daemon socket does not exist: every attempt fails at once with ENOENT.
std::string unreachableUri() {
  std::filesystem::path socket =
      std::filesystem::path(::testing::TempDir()) / "univirt-reconnect-test" / "nope";
  return "qemu:///system?socket=" + socket.string();
}

std::vector<ConnectionState> statesOf(const std::vector<ConnectionStatus>& statuses) {
  std::vector<ConnectionState> states;
  for (const ConnectionStatus& status : statuses) {
    if (states.empty() || states.back() != status.state) {
      states.push_back(status.state);
    }
  }
  return states;
}

// Runs a ReconnectingConnection on its own thread against a FakeClock, recording every
// status the listener hears.
class ReconnectingConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(loop_.start()); }

  void TearDown() override { stop(); }

  void start(std::string uri) {
    connection_.emplace(ReconnectOptions{.uri = std::move(uri), .backoff_seed = kSeed}, loop_,
                        clock_);
    connection_->addListener([this](const ConnectionStatus& status) { statuses_.push(status); });
    ASSERT_TRUE(connection_->start());
  }

  void stop() {
    if (connection_) {
      connection_->stop();
    }
  }

  bool waitForStatus(const std::function<bool(const ConnectionStatus&)>& done) {
    return statuses_.waitFor([&](const std::vector<ConnectionStatus>& seen) {
      return !seen.empty() && done(seen.back());
    });
  }

  EventLoop loop_;
  util::FakeClock clock_;
  Recorder<ConnectionStatus> statuses_;
  std::optional<ReconnectingConnection> connection_;
};

TEST_F(ReconnectingConnectionTest, ConnectsAndServesCalls) {
  start(kTestUri);

  ASSERT_TRUE(waitForStatus(
      [](const ConnectionStatus& status) { return status.state == ConnectionState::Connected; }));
  auto conn = connection_->connection();
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_TRUE((*conn)->lookupDomain("test"));

  ConnectionStatus status = connection_->status();
  EXPECT_EQ(status.state, ConnectionState::Connected);
  EXPECT_EQ(status.reconnects, 0);
  EXPECT_EQ(status.failed_attempts, 0);
  EXPECT_FALSE(status.last_error);
  EXPECT_FALSE(status.next_attempt);
  EXPECT_EQ(statesOf(statuses_.values()),
            (std::vector{ConnectionState::Connecting, ConnectionState::Connected}));
}

TEST_F(ReconnectingConnectionTest, ReconnectsAfterALoss) {
  start(kTestUri);
  ASSERT_TRUE(waitForStatus(
      [](const ConnectionStatus& status) { return status.state == ConnectionState::Connected; }));
  auto first = connection_->connection();
  ASSERT_TRUE(first) << first.error().message;

  connection_->markLost(**first, util::Error{ErrorCode::Unavailable, "peer went away"});

  ASSERT_TRUE(waitForStatus([](const ConnectionStatus& status) {
    return status.state == ConnectionState::Connected && status.reconnects == 1;
  }));
  auto second = connection_->connection();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(second->get(), first->get());
  EXPECT_TRUE((*second)->lookupDomain("test"));
  ConnectionStatus status = connection_->status();
  ASSERT_TRUE(status.last_error);
  EXPECT_EQ(status.last_error->message, "peer went away");
  EXPECT_EQ(statesOf(statuses_.values()),
            (std::vector{ConnectionState::Connecting, ConnectionState::Connected,
                         ConnectionState::Connecting, ConnectionState::Connected}));
  // The caller that still holds the old connection finishes its call on it.
  EXPECT_TRUE((*first)->lookupDomain("test"));
}

TEST_F(ReconnectingConnectionTest, IgnoresLossReportsForAnOldConnection) {
  start(kTestUri);
  ASSERT_TRUE(waitForStatus(
      [](const ConnectionStatus& status) { return status.state == ConnectionState::Connected; }));
  auto first = connection_->connection();
  ASSERT_TRUE(first) << first.error().message;
  connection_->markLost(**first, util::Error{ErrorCode::Unavailable, "first loss"});
  ASSERT_TRUE(waitForStatus([](const ConnectionStatus& status) {
    return status.state == ConnectionState::Connected && status.reconnects == 1;
  }));

  connection_->markLost(**first, util::Error{ErrorCode::Unavailable, "stale report"});

  EXPECT_TRUE(connection_->connection());
  EXPECT_EQ(connection_->status().last_error->message, "first loss");
  EXPECT_EQ(connection_->status().reconnects, 1);
}

TEST_F(ReconnectingConnectionTest, BacksOffWhileUnreachable) {
  std::string uri = unreachableUri();
  start(uri);
  // The same policy and seed give the schedule run() must follow.
  util::Backoff expected_schedule(kReconnectBackoff, kSeed);
  double base_ms = static_cast<double>(kReconnectBackoff.initial.count());
  const double max_ms = static_cast<double>(kReconnectBackoff.max.count());

  // Eight failures take the delay from 500 ms past the 30 s cap.
  for (int attempt = 1; attempt <= 8; ++attempt) {
    ASSERT_TRUE(waitForStatus([attempt](const ConnectionStatus& status) {
      return status.failed_attempts == attempt;
    })) << "attempt "
        << attempt;
    ASSERT_TRUE(clock_.waitForSleepers(1, kWaitTimeout));
    ConnectionStatus status = connection_->status();
    ASSERT_EQ(status.failed_attempts, attempt) << "retried without waiting";
    EXPECT_EQ(status.state, ConnectionState::Connecting);
    ASSERT_TRUE(status.last_error);
    EXPECT_EQ(status.last_error->code, ErrorCode::Unavailable);
    ASSERT_TRUE(status.next_attempt);
    auto delay =
        std::chrono::duration_cast<std::chrono::milliseconds>(*status.next_attempt - clock_.now());
    EXPECT_EQ(delay, expected_schedule.next()) << "attempt " << attempt;
    EXPECT_GE(static_cast<double>(delay.count()), std::min(base_ms, max_ms) * 0.8 - 1);
    EXPECT_LE(static_cast<double>(delay.count()), std::min(base_ms * 1.2, max_ms));
    base_ms = std::min(base_ms * kReconnectBackoff.factor, max_ms);

    auto unavailable = connection_->connection();
    ASSERT_FALSE(unavailable);
    EXPECT_EQ(unavailable.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(unavailable.error().message.rfind(
                  "libvirt connection '" + uri + "' is not established: opening libvirt", 0),
              0u)
        << unavailable.error().message;

    // One millisecond short of the deadline nothing happens; at the deadline the next try.
    clock_.advance(delay - 1ms);
    ASSERT_TRUE(clock_.waitForSleepers(1, kWaitTimeout));
    EXPECT_EQ(connection_->status().failed_attempts, attempt);
    clock_.advance(1ms);
  }
  EXPECT_EQ(base_ms, max_ms);
}

TEST_F(ReconnectingConnectionTest, StopEndsBackoffAndDisconnects) {
  start(unreachableUri());
  ASSERT_TRUE(
      waitForStatus([](const ConnectionStatus& status) { return status.failed_attempts == 1; }));
  ASSERT_TRUE(clock_.waitForSleepers(1, kWaitTimeout));

  stop();  // hangs (and times out) if the backoff sleep ignores the stop token

  ConnectionStatus status = connection_->status();
  EXPECT_EQ(status.state, ConnectionState::Disconnected);
  EXPECT_FALSE(status.next_attempt);
  EXPECT_EQ(statuses_.values().back().state, ConnectionState::Disconnected);
  EXPECT_FALSE(connection_->connection());
}

TEST_F(ReconnectingConnectionTest, StopClosesAnOpenConnection) {
  start(kTestUri);
  ASSERT_TRUE(waitForStatus(
      [](const ConnectionStatus& status) { return status.state == ConnectionState::Connected; }));

  stop();

  EXPECT_EQ(connection_->status().state, ConnectionState::Disconnected);
  auto conn = connection_->connection();
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(conn.error().message, "libvirt connection 'test:///default' is not established");
}

TEST_F(ReconnectingConnectionTest, RemovedListenerHearsNothingMore) {
  start(kTestUri);
  ASSERT_TRUE(waitForStatus(
      [](const ConnectionStatus& status) { return status.state == ConnectionState::Connected; }));
  Recorder<ConnectionStatus> removed;
  int id = connection_->addListener([&removed](const ConnectionStatus& s) { removed.push(s); });
  connection_->removeListener(id);

  stop();

  EXPECT_TRUE(removed.values().empty());
  EXPECT_EQ(statuses_.values().back().state, ConnectionState::Disconnected);
}

TEST_F(ReconnectingConnectionTest, StartTwiceIsRefused) {
  start(kTestUri);

  auto again = connection_->start();

  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

TEST_F(ReconnectingConnectionTest, RunsOnTheCallersThread) {
  ReconnectingConnection connection(ReconnectOptions{.uri = kTestUri}, loop_, clock_);
  Recorder<ConnectionStatus> statuses;
  connection.addListener([&statuses](const ConnectionStatus& status) { statuses.push(status); });
  std::jthread runner([&connection](const std::stop_token& stop) { connection.run(stop); });
  ASSERT_TRUE(statuses.waitFor([](const std::vector<ConnectionStatus>& seen) {
    return !seen.empty() && seen.back().state == ConnectionState::Connected;
  }));

  runner.request_stop();
  runner.join();

  EXPECT_EQ(connection.status().state, ConnectionState::Disconnected);
}

TEST(ConnectionState, HasNames) {
  EXPECT_EQ(connectionStateName(ConnectionState::Disconnected), "Disconnected");
  EXPECT_EQ(connectionStateName(ConnectionState::Connecting), "Connecting");
  EXPECT_EQ(connectionStateName(ConnectionState::Connected), "Connected");
}

}  // namespace
}  // namespace univirt::virt
