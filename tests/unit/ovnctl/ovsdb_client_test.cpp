#include "ovnctl/ovsdb_client.h"

#include <cstring>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ovnctl/ovsdb_json.h"

namespace univirt::ovnctl {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(ParseEndpoint, AcceptsUnixAndTcp) {
  auto unix_socket = parseEndpoint("unix:/var/run/ovn/ovnnb_db.sock");
  ASSERT_TRUE(unix_socket.has_value());
  EXPECT_EQ(unix_socket->kind, Endpoint::Kind::Unix);
  EXPECT_EQ(unix_socket->path, "/var/run/ovn/ovnnb_db.sock");
  auto tcp = parseEndpoint("tcp:ovn-nb.kube-system:6641");
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->host, "ovn-nb.kube-system");
  EXPECT_EQ(tcp->port, 6641);
  EXPECT_EQ(tcp->toString(), "tcp:ovn-nb.kube-system:6641");
  auto v6 = parseEndpoint("tcp:[::1]:6641");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->toString(), "tcp:[::1]:6641");
}

TEST(ParseEndpoint, RejectsEverythingElse) {
  for (const char* bad :
       {"", "unix:", "unix:relative.sock", "tcp:host", "tcp::6641", "tcp:host:0", "tcp:host:65536",
        "tcp:host:66a", "ssl:host:6641", "tcp:::1:6641", "/var/run/ovn/ovnnb_db.sock"}) {
    auto parsed = parseEndpoint(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_THAT(parsed.error().message, HasSubstr("unix:PATH or tcp:HOST:PORT"));
  }
}

TEST(JsonRpc, EncodesRequests) {
  const auto line = encodeRequest("transact", json::array({"OVN_Northbound"}), 7);
  EXPECT_EQ(json::parse(line),
            json::parse(R"({"method":"transact","params":["OVN_Northbound"],"id":7})"));
}

TEST(JsonRpc, FindsMessageBoundaries) {
  EXPECT_EQ(completeMessageLength(""), 0u);
  EXPECT_EQ(completeMessageLength(R"({"a":[1,2)"), 0u);
  const std::string first = R"({"s":"}{\"]","n":[{}]})";
  EXPECT_EQ(completeMessageLength(first + R"({"next":1})"), first.size());
  EXPECT_EQ(completeMessageLength(R"({"s":"\\"})"), std::string(R"({"s":"\\"})").size());
}

TEST(JsonRpc, DecodesTransactResultsAndErrors) {
  const json ops = json::array(
      {ovsdb::insert("Logical_Switch", {{"name", "a"}}),
       ovsdb::waitEquals("Logical_Switch", ovsdb::byName("a"), {"name"}, json::array())});
  auto good = decodeTransactReply(
      {{"id", 1},
       {"error", nullptr},
       {"result", json::array({{{"uuid", json::array({"uuid", "x"})}}, json::object()})}},
      ops);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ((*good)[0]["uuid"][1], "x");

  auto timed_out =
      decodeTransactReply({{"id", 1},
                           {"error", nullptr},
                           {"result", json::array({json::object(), {{"error", "timed out"}}})}},
                          ops);
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().code, util::ErrorCode::Conflict);
  EXPECT_THAT(timed_out.error().message, HasSubstr("wait on Logical_Switch"));

  auto commit = decodeTransactReply(
      {{"id", 1},
       {"error", nullptr},
       {"result", json::array({json::object(),
                               json::object(),
                               {{"error", "constraint violation"},
                                {"details",
                                 "Transaction causes multiple rows in \"Logical_Switch_Port\" "
                                 "table to have identical values"}}})}},
      ops);
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, util::ErrorCode::Conflict);
  EXPECT_THAT(commit.error().message, HasSubstr("identical values"));
  EXPECT_THAT(commit.error().message, HasSubstr("nothing was changed"));

  auto rpc_error =
      decodeTransactReply({{"id", 1}, {"error", "unknown database"}, {"result", nullptr}}, ops);
  ASSERT_FALSE(rpc_error.has_value());
  EXPECT_THAT(rpc_error.error().message, HasSubstr("unknown database"));
}

TEST(OvsdbJson, EncodesAndDecodesTheNotation) {
  EXPECT_EQ(ovsdb::map({{"k", "v"}}), json::parse(R"(["map",[["k","v"]]])"));
  EXPECT_EQ(ovsdb::stringSet({"a", "b"}), json::parse(R"(["set",["a","b"]])"));
  EXPECT_EQ(ovsdb::strings(json("single")), std::vector<std::string>{"single"});
  EXPECT_EQ(ovsdb::strings(json::parse(R"(["set",["a","b"]])")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ovsdb::uuids(json::parse(R"(["uuid","u1"])")), std::vector<std::string>{"u1"});
  EXPECT_EQ(ovsdb::uuids(json::parse(R"(["set",[["uuid","u1"],["uuid","u2"]]])")),
            (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(ovsdb::stringMap(json::parse(R"(["map",[["a","1"],["b","2"]]])")),
            (ovsdb::StringMap{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ovsdb::optionalInteger(json::parse(R"(["set",[]])")), std::nullopt);
  EXPECT_EQ(ovsdb::optionalInteger(json(100)), 100);
  const json wait = ovsdb::waitEquals("T", ovsdb::byName("n"), {"name"}, json::array());
  EXPECT_EQ(wait["op"], "wait");
  EXPECT_EQ(wait["timeout"], 0);
  EXPECT_EQ(wait["until"], "==");
}

// A unix-socket peer that speaks JSON-RPC the way ovsdb-server does: it first sends the
// client an "echo" request (split over two writes) and only answers once the echo came back.
TEST(OvsdbClient, AnswersEchoAndReadsTheReplyAcrossWrites) {
  std::string dir = (std::filesystem::temp_directory_path() / "univirt-ovsdb-unit.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/peer.sock";
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  json request;
  json echo_reply;
  std::thread peer([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    std::string buffer;
    char chunk[4096];
    const auto readMessage = [&]() {
      while (completeMessageLength(buffer) == 0) {
        const ssize_t got = ::read(fd, chunk, sizeof(chunk));
        if (got <= 0) {
          return json();
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
      }
      const auto length = completeMessageLength(buffer);
      auto message = json::parse(buffer.substr(0, length));
      buffer.erase(0, length);
      return message;
    };
    request = readMessage();
    const std::string echo = R"({"method":"echo","params":["ping"],"id":"echo"})";
    (void)!::write(fd, echo.data(), 10);
    (void)!::write(fd, echo.data() + 10, echo.size() - 10);
    echo_reply = readMessage();
    const std::string reply = json{{"id", request["id"]},
                                   {"error", nullptr},
                                   {"result", json::array({{{"rows", json::array()}}})}}
                                  .dump();
    (void)!::write(fd, reply.data(), reply.size() / 2);
    (void)!::write(fd, reply.data() + reply.size() / 2, reply.size() - reply.size() / 2);
    ::close(fd);
  });

  OvsdbClient client(*parseEndpoint("unix:" + path), "OVN_Northbound");
  auto result = client.transact(json::array({ovsdb::select("Logical_Switch", json::array())}));
  peer.join();
  ::close(listener);
  std::filesystem::remove_all(dir);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ((*result)[0]["rows"], json::array());
  EXPECT_EQ(request["method"], "transact");
  EXPECT_EQ(request["params"][0], "OVN_Northbound");
  EXPECT_EQ(request["params"][1]["op"], "select");
  EXPECT_EQ(echo_reply["id"], "echo");
  EXPECT_EQ(echo_reply["result"], json::array({"ping"}));
}

TEST(OvsdbClient, ReportsAMissingSocketAsUnavailable) {
  OvsdbClient client(*parseEndpoint("unix:/nonexistent/dir/db.sock"), "OVN_Northbound");
  auto result = client.transact(json::array());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, util::ErrorCode::Unavailable);
  EXPECT_THAT(result.error().message, HasSubstr("unix:/nonexistent/dir/db.sock"));
}

}  // namespace
}  // namespace univirt::ovnctl
