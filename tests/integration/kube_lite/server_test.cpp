// The kube-lite process: TLS, authentication, persistence, crash safety, limits, audit,
// shutdown and many concurrent watches.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

class KubeLiteServer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.lastError(); }
  KubeLiteProcess server_;
};

TEST_F(KubeLiteServer, ServesVersionWithoutAuth) {
  KubeHttp anonymous(server_, HttpAuth{});
  auto resp = anonymous.get("/version");
  ASSERT_EQ(resp.status, 200);
  json info = resp.json();
  EXPECT_EQ(info["major"], "1");
  EXPECT_EQ(info["minor"], "32");
  EXPECT_TRUE(info["gitVersion"].is_string());
  EXPECT_EQ(info["platform"], "linux/amd64");
}

TEST_F(KubeLiteServer, RejectsMissingOrWrongTokenWith401Status) {
  for (const std::string& token : {std::string(), std::string("wrong-token")}) {
    KubeHttp client(server_, HttpAuth{token, "", ""});
    auto resp = client.get("/api/v1/namespaces");
    ASSERT_EQ(resp.status, 401) << token;
    json status = resp.json();
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["reason"], "Unauthorized");
    EXPECT_EQ(status["code"], 401);
  }
}

TEST_F(KubeLiteServer, AcceptsClientCertificateSignedByItsCa) {
  KubeHttp client(server_,
                  HttpAuth{"", server_.dataDir() + "/admin.crt", server_.dataDir() + "/admin.key"});
  auto resp = client.get("/api/v1/namespaces/default");
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.json()["metadata"]["name"], "default");
  // The audit log names the certificate's CN as the user.
  server_.stop();
  EXPECT_NE(readWholeFile(server_.auditLog()).find("\"username\":\"admin\""), std::string::npos);
}

TEST_F(KubeLiteServer, PrecreatesDefaultAndKubeSystemNamespaces) {
  KubeHttp http(server_);
  EXPECT_EQ(http.get("/api/v1/namespaces/default").status, 200);
  EXPECT_EQ(http.get("/api/v1/namespaces/kube-system").status, 200);
}

TEST_F(KubeLiteServer, RestartKeepsObjectsAndResourceVersions) {
  KubeHttp http(server_);
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  auto created = http.post(kVmPath, vm("vm1"));
  ASSERT_EQ(created.status, 201);
  std::string rv = created.json()["metadata"]["resourceVersion"];
  ASSERT_EQ(server_.stop(), 0);
  ASSERT_TRUE(server_.start()) << server_.lastError();
  KubeHttp again(server_);
  auto got = again.get(std::string(kVmPath) + "/vm1");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["metadata"]["resourceVersion"], rv);
  auto next = again.post(kVmPath, vm("vm2"));
  ASSERT_EQ(next.status, 201);
  EXPECT_GT(std::stoll(next.json()["metadata"]["resourceVersion"].get<std::string>()),
            std::stoll(rv));
}

TEST_F(KubeLiteServer, KillNineLosesNoAcknowledgedWrite) {
  KubeHttp http(server_);
  ASSERT_EQ(installCrd(http, "virtualmachine-crd.yaml"), 201);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(http.post(kVmPath, vm("vm" + std::to_string(i))).status, 201);
  }
  server_.kill();
  ASSERT_TRUE(server_.start()) << server_.lastError();
  KubeHttp again(server_);
  auto list = again.get(kVmPath);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["items"].size(), 20u);
}

TEST_F(KubeLiteServer, StopsCleanlyOnSigterm) {
  int status = server_.stop();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(KubeLiteServer, StopsCleanlyWithOpenWatches) {
  KubeHttp http(server_);
  auto watch = http.stream("/api/v1/namespaces?watch=true");
  ASSERT_EQ(watch->status(), 200);
  int status = server_.stop();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(watch->ended(std::chrono::seconds(5)));
}

TEST_F(KubeLiteServer, RejectsOversizeRequestWith413) {
  KubeHttp http(server_);
  json big = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "big"}}},
              {"data", {{"x", std::string(4 * 1024 * 1024, 'a')}}}};
  auto resp = http.post("/api/v1/namespaces/default/configmaps", big);
  EXPECT_EQ(resp.status, 413);
  EXPECT_EQ(resp.json()["code"], 413);
}

TEST_F(KubeLiteServer, MalformedBodyIs400) {
  KubeHttp http(server_);
  auto resp = http.request("POST", "/api/v1/namespaces/default/configmaps", "{not json");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.json()["reason"], "BadRequest");
}

TEST_F(KubeLiteServer, UnknownKindAndPathAre404Status) {
  KubeHttp http(server_);
  auto resp = http.get("/apis/nope.io/v1/namespaces/default/things");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.json()["message"], "the server could not find the requested resource");
  EXPECT_EQ(http.get("/no/such/path").status, 404);
}

TEST_F(KubeLiteServer, AuditLogHasOneLinePerRequest) {
  KubeHttp http(server_);
  ASSERT_EQ(http.get("/api/v1/namespaces/default/configmaps/missing").status, 404);
  ASSERT_EQ(http.post("/api/v1/namespaces/default/configmaps", json{{"metadata", {{"name", "c1"}}}})
                .status,
            201);
  server_.stop();
  std::istringstream lines(readWholeFile(server_.auditLog()));
  std::vector<json> records;
  std::string line;
  while (std::getline(lines, line)) {
    records.push_back(json::parse(line));
  }
  ASSERT_GE(records.size(), 2u);
  json get = records[records.size() - 2];
  json create = records.back();
  // audit.k8s.io/v1 Events (daemons/kube-lite/audit.h).
  EXPECT_EQ(get["apiVersion"], "audit.k8s.io/v1");
  EXPECT_EQ(get["verb"], "get");
  EXPECT_EQ(get["objectRef"]["resource"], "configmaps");
  EXPECT_EQ(get["objectRef"]["namespace"], "default");
  EXPECT_EQ(get["objectRef"]["name"], "missing");
  EXPECT_EQ(get["responseStatus"]["code"], 404);
  EXPECT_EQ(get["user"]["username"], "admin");
  EXPECT_EQ(create["verb"], "create");
  EXPECT_EQ(create["objectRef"]["name"], "c1");
  EXPECT_EQ(create["responseStatus"]["code"], 201);
}

TEST_F(KubeLiteServer, IdleWatchEndsWhenItsClientLeaves) {
  KubeHttp http(server_);
  {
    auto watch = http.stream("/api/v1/namespaces/default/configmaps?watch=true");
    ASSERT_EQ(watch->status(), 200);
  }  // the client closes its connection
  // The watch's ResponseComplete audit Event is written when the server-side handler returns
  // (its ResponseStarted one when it started streaming).
  EXPECT_TRUE(
      waitForFileContaining(server_.auditLog(), "\"stage\":\"ResponseComplete\"", seconds(10)));
}

TEST_F(KubeLiteServer, HundredWatchesDoNotStarveOtherRequests) {
  KubeHttp http(server_);
  std::vector<std::unique_ptr<LineStream>> watches;
  for (int i = 0; i < 110; ++i) {
    watches.push_back(http.stream("/api/v1/namespaces/default/configmaps?watch=true"));
    ASSERT_EQ(watches.back()->status(), 200);
  }
  auto start = std::chrono::steady_clock::now();
  auto created =
      http.post("/api/v1/namespaces/default/configmaps", json{{"metadata", {{"name", "c1"}}}});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(http.get("/api/v1/namespaces/default/configmaps/c1").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  for (auto& watch : watches) {
    auto event = watch->nextEvent(std::chrono::seconds(10));
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ((*event)["type"], "ADDED");
  }
}

TEST(KubeLiteTls, ServingCertificateNamesEveryBoundAddressAndLocalhost) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto text = runProcess({"/usr/bin/openssl", "x509", "-in", server.dataDir() + "/serving.crt",
                          "-noout", "-ext", "subjectAltName"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("IP Address:127.0.0.1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("DNS:localhost"), std::string::npos) << text.out;
  auto verify = runProcess({"/usr/bin/openssl", "verify", "-CAfile", server.caFile(),
                            server.dataDir() + "/serving.crt"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(KubeLiteTls, PlainHttpOnlyWithExplicitFlag) {
  KubeLiteProcess secure;
  ASSERT_TRUE(secure.start()) << secure.lastError();
  EXPECT_NE(readWholeFile(secure.kubeconfig()).find("https://127.0.0.1"), std::string::npos);
  KubeLiteOptions options;
  options.insecure_http = true;
  KubeLiteProcess plain(options);
  ASSERT_TRUE(plain.start()) << plain.lastError();
  KubeHttp http(plain);
  EXPECT_EQ(http.get("/api/v1/namespaces/default").status, 200);
}

}  // namespace
}  // namespace univirt::testing
