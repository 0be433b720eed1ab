#include "core/kube/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/core/kube/test_server.h"

namespace univirt::kube {
namespace {

using util::ErrorCode;

const ResourceRef kVms{"doslab.io", "v1", "virtualmachines", true};
const ResourceRef kNodes{"", "v1", "nodes", false};

TEST(ResourcePath, BuildsGroupAndCorePaths) {
  EXPECT_EQ(resourcePath(kVms, "default"), "/apis/doslab.io/v1/namespaces/default/virtualmachines");
  EXPECT_EQ(resourcePath(kVms, ""), "/apis/doslab.io/v1/virtualmachines");
  EXPECT_EQ(resourcePath(kVms, "ns", "vm1", "status"),
            "/apis/doslab.io/v1/namespaces/ns/virtualmachines/vm1/status");
  EXPECT_EQ(resourcePath(kNodes, "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(kVms.groupVersion(), "doslab.io/v1");
  EXPECT_EQ(kNodes.groupVersion(), "v1");
  EXPECT_EQ(kVms.displayName(), "virtualmachines.doslab.io");
}

TEST(EncodeQueryValue, EscapesSelectorSyntax) {
  EXPECT_EQ(encodeQueryValue("host=node-1,env in (a, b),!gone"),
            "host%3Dnode-1%2Cenv%20in%20%28a%2C%20b%29%2C%21gone");
  EXPECT_EQ(encodeQueryValue("metadata.name=vm_1~"), "metadata.name%3Dvm_1~");
}

TEST(ParseWatchEvent, DecodesEveryType) {
  auto added = parseWatchEvent(
      R"({"type":"ADDED","object":{"kind":"VirtualMachine","metadata":{"name":"vm1","resourceVersion":"1041"}}})");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->type, WatchEventType::Added);
  EXPECT_EQ(resourceVersionOf(added->object), "1041");

  auto bookmark = parseWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"VirtualMachine","apiVersion":"doslab.io/v1","metadata":{"resourceVersion":"1062"}}})");
  ASSERT_TRUE(bookmark);
  EXPECT_EQ(bookmark->type, WatchEventType::Bookmark);

  auto error = parseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, WatchEventType::Error);

  for (const char* type : {"MODIFIED", "DELETED"}) {
    auto event = parseWatchEvent(std::string(R"({"type":")") + type + R"(","object":{}})");
    ASSERT_TRUE(event) << type;
    EXPECT_EQ(watchEventTypeName(event->type), type);
  }
}

TEST(ParseWatchEvent, RejectsMalformedLines) {
  EXPECT_FALSE(parseWatchEvent("{\"type\":\"ADDED\""));
  EXPECT_FALSE(parseWatchEvent(R"({"type":"ADDED"})"));
  auto unknown = parseWatchEvent(R"({"type":"RENAMED","object":{}})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::Internal);
  EXPECT_THAT(unknown.error().message, ::testing::HasSubstr("'RENAMED'"));
}

std::unique_ptr<Client> clientFor(const testing::TestServer& server) {
  ClientConfig config;
  config.server = server.url();
  auto client = Client::create(config);
  EXPECT_TRUE(client) << client.error().message;
  return std::move(client).value();
}

// A real server answers an expired continue token with 410; the pager then lists everything
// in one request, as client-go's pager does.
TEST(ClientList, ListsAgainInOneRequestWhenContinueTokenExpired) {
  testing::TestServer server([](const testing::RecordedRequest& request, auto& response) {
    if (request.uri.find("continue=") != std::string::npos) {
      testing::reply(response, 410,
                     R"({"kind":"Status","status":"Failure","reason":"Expired","code":410,)"
                     R"("message":"The provided continue parameter is too old"})");
      return;
    }
    if (request.uri.find("limit=") != std::string::npos) {
      testing::reply(
          response, 200,
          R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"10",)"
          R"("continue":"tok"},"items":[{"metadata":{"name":"a"}}]})");
      return;
    }
    testing::reply(
        response, 200,
        R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"12"},)"
        R"("items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  });
  auto client = clientFor(server);
  ListOptions options;
  options.limit = 1;
  auto listed = client->list({"", "v1", "configmaps", true}, "default", options);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(nameOf(listed->items[1]), "b");
  EXPECT_EQ(kindOf(listed->items[0]), "ConfigMap");
  EXPECT_EQ(listed->resource_version, "12");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].uri, "/api/v1/namespaces/default/configmaps");
}

TEST(ClientWatch, MalformedEventEndsTheWatchWithAnError) {
  testing::TestServer server([](const testing::RecordedRequest&, auto& response) {
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    out << R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
        << "\n"
        << "not json\n"
        << std::flush;
  });
  auto client = clientFor(server);
  std::vector<std::string> seen;
  WatchOptions options;
  auto result =
      client->watch({"", "v1", "configmaps", true}, "", options,
                    [&](const WatchEvent& event) { seen.push_back(nameOf(event.object)); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Internal);
  EXPECT_THAT(seen, ::testing::ElementsAre("a"));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].uri,
            "/api/v1/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=300");
}

TEST(ClientGet, NonJsonSuccessBodyIsAnError) {
  testing::TestServer server([](const testing::RecordedRequest&, auto& response) {
    testing::reply(response, 200, "<html>");
  });
  auto client = clientFor(server);
  auto got = client->get({"", "v1", "configmaps", true}, {"", "x"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Internal);
  EXPECT_THAT(got.error().message, ::testing::HasSubstr("'default/x'"));
}

}  // namespace
}  // namespace univirt::kube
