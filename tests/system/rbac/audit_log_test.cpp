// End to end: the kube client's User-Agent reaches kube-lite's audit log, whose lines are
// audit.k8s.io/v1 Events, and a KubeLiteProcess writes them into UNIVIRT_AUDIT_DIR when set
// (what tests/system/rbac's ClusterRole check reads).

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/kube/user_agent.h"
#include "integration/kube_client/kube_lite_client.h"
#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/subprocess.h"

namespace univirt::kube {
namespace {

using nlohmann::json;
using univirt::testing::KubeLiteProcess;

const ResourceRef kNodes{.group = "", .version = "v1", .resource = "nodes", .namespaced = false};
const ResourceRef kLeases{
    .group = "coordination.k8s.io", .version = "v1", .resource = "leases", .namespaced = true};

std::vector<json> readEvents(const std::string& path) {
  std::istringstream lines(univirt::testing::readWholeFile(path));
  std::vector<json> events;
  std::string line;
  while (std::getline(lines, line)) {
    events.push_back(json::parse(line));
  }
  return events;
}

// The events this process's client sent (kubectl and the fixture use other agents).
std::vector<json> ours(const std::vector<json>& events) {
  std::vector<json> mine;
  for (const auto& event : events) {
    if (event.value("userAgent", "") == userAgent()) {
      mine.push_back(event);
    }
  }
  return mine;
}

TEST(KubeLiteAudit, RecordsTheClientsUserAgentVerbAndResource) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto client = testing::clientFor(server);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->list(kNodes, "").has_value());
  auto lease = (*client)->get(kLeases, ObjectKey{.namespace_name = "default", .name = "absent"});
  ASSERT_FALSE(lease.has_value());
  ASSERT_EQ(server.stop(), 0);

  auto mine = ours(readEvents(server.auditLog()));
  ASSERT_EQ(mine.size(), 2u) << "user agent " << userAgent();
  EXPECT_EQ(mine[0]["apiVersion"], "audit.k8s.io/v1");
  EXPECT_EQ(mine[0]["verb"], "list");
  EXPECT_EQ(mine[0]["objectRef"]["resource"], "nodes");
  EXPECT_FALSE(mine[0]["objectRef"].contains("apiGroup"));
  EXPECT_EQ(mine[0]["responseStatus"]["code"], 200);
  EXPECT_EQ(mine[0]["user"]["username"], "admin");
  EXPECT_EQ(mine[1]["verb"], "get");
  EXPECT_EQ(mine[1]["objectRef"]["apiGroup"], "coordination.k8s.io");
  EXPECT_EQ(mine[1]["objectRef"]["resource"], "leases");
  EXPECT_EQ(mine[1]["objectRef"]["namespace"], "default");
  EXPECT_EQ(mine[1]["objectRef"]["name"], "absent");
  EXPECT_EQ(mine[1]["responseStatus"]["code"], 404);
  // This test binary is not a daemon of the DaemonSet: the ClusterRole check ignores it.
  EXPECT_EQ(userAgent().rfind("univirt-rbac_audit_test/", 0), 0u) << userAgent();
}

TEST(KubeLiteAudit, AWatchIsOnRecordWhileItIsOpen) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  univirt::testing::KubeHttp http(server);
  auto watch = http.stream("/apis/coordination.k8s.io/v1/namespaces/default/leases?watch=true");
  ASSERT_EQ(watch->status(), 200);
  // ResponseStarted is written as the stream starts, before any event or the end of the watch.
  ASSERT_TRUE(univirt::testing::waitForFileContaining(
      server.auditLog(), "\"stage\":\"ResponseStarted\"", std::chrono::seconds(10)));
  server.kill();  // no ResponseComplete: the watch must not depend on one
  std::vector<json> started;
  for (const auto& event : readEvents(server.auditLog())) {
    if (event["stage"] == "ResponseStarted") {
      started.push_back(event);
    }
  }
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["verb"], "watch");
  EXPECT_EQ(started[0]["objectRef"]["apiGroup"], "coordination.k8s.io");
  EXPECT_EQ(started[0]["objectRef"]["resource"], "leases");
  EXPECT_EQ(started[0]["objectRef"]["namespace"], "default");
  EXPECT_EQ(started[0]["user"]["username"], "admin");
}

TEST(KubeLiteAudit, EveryKubeLiteOfATestWritesIntoTheCollectionDirectory) {
  std::filesystem::path collection = std::filesystem::path(::testing::TempDir()) /
                                     ("audit-collection-" + std::to_string(::getpid()));
  std::filesystem::remove_all(collection);
  ASSERT_EQ(::setenv("UNIVIRT_AUDIT_DIR", collection.c_str(), 1), 0);
  {
    KubeLiteProcess first;
    KubeLiteProcess second;
    ASSERT_TRUE(first.start()) << first.lastError();
    ASSERT_TRUE(second.start()) << second.lastError();
    EXPECT_NE(first.auditLog(), second.auditLog());
    for (auto* server : {&first, &second}) {
      EXPECT_EQ(std::filesystem::path(server->auditLog()).parent_path(), collection);
      auto client = testing::clientFor(*server);
      ASSERT_TRUE(client.has_value());
      ASSERT_TRUE((*client)->list(kNodes, "").has_value());
      ASSERT_EQ(server->stop(), 0);
      EXPECT_EQ(ours(readEvents(server->auditLog())).size(), 1u);
    }
  }
  ::unsetenv("UNIVIRT_AUDIT_DIR");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(collection)) {
    EXPECT_EQ(entry.path().extension(), ".jsonl");
    ++files;
  }
  EXPECT_EQ(files, 2u);  // the test dirs went away; the collection stays
  std::filesystem::remove_all(collection);
}

// TransportOptions::user_agent, as kube::testing::daemonClientFor sets it: two clients of one
// process are told apart in the audit log, so a test can run a daemon's code in-process as that
// daemon while its own requests keep the test binary's identity. The program here is not one
// of the DaemonSet's daemons, so this test adds nothing to the ClusterRole check.
TEST(KubeLiteAudit, AClientForAProgramIsRecordedAsThatProgramBesideTheProcesssOwn) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto own = testing::clientFor(server);
  ASSERT_TRUE(own.has_value()) << own.error().message;
  auto probe = testing::daemonClientFor(server, "audit-probe");
  ASSERT_TRUE(probe.has_value()) << probe.error().message;
  ASSERT_FALSE(
      (*probe)->get(kNodes, ObjectKey{.namespace_name = "", .name = "probe-node"}).has_value());
  ASSERT_FALSE(
      (*own)->get(kNodes, ObjectKey{.namespace_name = "", .name = "own-node"}).has_value());
  ASSERT_EQ(server.stop(), 0);

  std::map<std::string, std::string> agent_of_name;
  for (const auto& event : readEvents(server.auditLog())) {
    if (event.contains("objectRef") && event["objectRef"].contains("name")) {
      agent_of_name[event["objectRef"]["name"]] = event.value("userAgent", "");
    }
  }
  EXPECT_EQ(agent_of_name["probe-node"], userAgentFor("audit-probe"));
  EXPECT_EQ(agent_of_name["probe-node"].rfind("univirt-audit-probe/", 0), 0u);
  EXPECT_EQ(agent_of_name["own-node"], userAgent());
  EXPECT_NE(userAgent(), userAgentFor("audit-probe"));
}

}  // namespace
}  // namespace univirt::kube
