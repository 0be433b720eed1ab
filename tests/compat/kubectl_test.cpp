// The real kubectl (the 1.32 binary picked by the dispatcher) against a fresh kube-lite:
// every command univirt's operators use, as listed in kube-api-semantics.md §1.1.

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include "integration/kube_lite/kube_http.h"
#include "integration/kube_lite/kube_lite_process.h"
#include "integration/kube_lite/test_objects.h"

namespace univirt::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

KubeLiteOptions compatOptions() {
  KubeLiteOptions options;
  options.bookmark_interval_seconds = 0.2;
  return options;
}

class KubectlCompat : public ::testing::Test {
 protected:
  KubectlCompat() : server_(compatOptions()) {}
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.lastError(); }

  ProcessResult ok(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env = {}) {
    auto result = server_.kubectl(args, env);
    EXPECT_EQ(result.exit_code, 0) << "kubectl failed:\n" << result.out << result.err;
    return result;
  }
  void applyFixtures() {
    EXPECT_NE(ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")}).out.find("created"),
              std::string::npos);
    EXPECT_NE(ok({"apply", "-f", kubeLiteFixture("vm1.yaml")}).out.find("created"),
              std::string::npos);
  }
  json vmJson() { return json::parse(ok({"get", "vm", "vm1", "-o", "json"}).out); }

  KubeLiteProcess server_;
};

TEST_F(KubectlCompat, ApiResourcesListsBuiltinsAndCrdKinds) {
  ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")});
  auto out = ok({"api-resources"}).out;
  EXPECT_TRUE(
      std::regex_search(out, std::regex(R"(NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND)")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex(R"(virtualmachines\s+vm,vms\s+doslab\.io/v1\s+true\s+VirtualMachine)")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(namespaces\s+ns\s+v1\s+false\s+Namespace)")));
  EXPECT_EQ(out.find("virtualmachines/status"), std::string::npos);
}

TEST_F(KubectlCompat, ApplyCreateUnchangedConfiguredCycle) {
  applyFixtures();
  EXPECT_NE(ok({"apply", "-f", kubeLiteFixture("vm1.yaml")}).out.find("unchanged"),
            std::string::npos);
  json before = vmJson();
  std::string annotation =
      before["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
  EXPECT_EQ(annotation.back(), '\n');
  EXPECT_NE(ok({"apply", "-f", kubeLiteFixture("vm1-changed.yaml")}).out.find("configured"),
            std::string::npos);
  json after = vmJson();
  EXPECT_EQ(after["spec"]["powerstate"], "Shutdown");
  EXPECT_FALSE(after["spec"].contains("nodeName"));  // removed from the manifest
}

TEST_F(KubectlCompat, GetPrintsPrinterColumnsAndWideAddsPriorityOnes) {
  applyFixtures();
  auto plain = ok({"get", "vm"}).out;
  EXPECT_TRUE(std::regex_search(plain, std::regex(R"(NAME\s+STATUS\s+AGE\n)"))) << plain;
  EXPECT_TRUE(std::regex_search(plain, std::regex(R"(vm1\s+Running\s+\d+s)"))) << plain;
  auto wide = ok({"get", "vm", "-o", "wide"}).out;
  EXPECT_TRUE(std::regex_search(
      wide, std::regex(
                R"(NAME\s+UUID\s+TYPE\s+CPU\s+RAM\(KB\)\s+STATUS\s+AGE\s+NODE\s+MESSAGE\s+IMAGE)")))
      << wide;
  EXPECT_NE(wide.find("node1"), std::string::npos);
  auto empty = server_.kubectl({"get", "vm", "-n", "kube-system"});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("No resources found in kube-system namespace."), std::string::npos);
}

TEST_F(KubectlCompat, GetYamlJsonSelectorsLabelsAndAllNamespaces) {
  applyFixtures();
  auto yaml = ok({"get", "vm", "vm1", "-o", "yaml"}).out;
  EXPECT_NE(yaml.find("kind: VirtualMachine"), std::string::npos);
  EXPECT_NE(yaml.find("resourceVersion:"), std::string::npos);
  EXPECT_NE(ok({"get", "vm", "-l", "host=node1,env!=prod"}).out.find("vm1"), std::string::npos);
  auto none = server_.kubectl({"get", "vm", "-l", "host=other"});
  EXPECT_EQ(none.out.find("vm1"), std::string::npos);
  EXPECT_NE(ok({"get", "vm", "--field-selector", "metadata.name=vm1"}).out.find("vm1"),
            std::string::npos);
  EXPECT_NE(ok({"get", "vm", "--show-labels"}).out.find("host=node1"), std::string::npos);
  auto all = ok({"get", "vm", "-A"}).out;
  EXPECT_TRUE(
      std::regex_search(all, std::regex(R"(NAMESPACE\s+NAME\s+STATUS\s+AGE\ndefault\s+vm1)")))
      << all;
  auto missing = server_.kubectl({"get", "vm", "vm9"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("Error from server (NotFound): virtualmachines.doslab.io \"vm9\" not "
                             "found"),
            std::string::npos);
}

TEST_F(KubectlCompat, GetWatchSeesLaterChanges) {
  applyFixtures();
  BackgroundProcess watcher;
  std::string out = server_.dir() + "/watch.out";
  ASSERT_TRUE(watcher.start(server_.kubectlArgv({"get", "vm", "-w"}), {{"HOME", server_.dir()}},
                            out, server_.dir() + "/watch.err"));
  ASSERT_TRUE(waitForFileContaining(out, "Running", seconds(20)));
  ok({"patch", "vm", "vm1", "--type", "merge", "-p", R"({"spec":{"powerstate":"Paused"}})"});
  EXPECT_TRUE(waitForFileContaining(out, "Paused", seconds(20))) << readWholeFile(out);
  watcher.stop(SIGTERM);
  auto text = readWholeFile(out);
  EXPECT_EQ(text.find("NAME"), text.rfind("NAME"));  // one header for all events
}

TEST_F(KubectlCompat, PatchMergeJsonAndStrategicRefusal) {
  applyFixtures();
  ok({"patch", "vm", "vm1", "--type", "merge", "-p", R"({"spec":{"powerstate":"Shutdown"}})"});
  EXPECT_EQ(vmJson()["spec"]["powerstate"], "Shutdown");
  ok({"patch", "vm", "vm1", "--type", "json", "-p",
      R"([{"op":"replace","path":"/spec/powerstate","value":"Running"}])"});
  EXPECT_EQ(vmJson()["spec"]["powerstate"], "Running");
  auto smp = server_.kubectl({"patch", "vm", "vm1", "-p", R"({"spec":{"x":1}})"});
  EXPECT_NE(smp.exit_code, 0);
  EXPECT_NE(smp.err.find("the body of the request was in an unknown format"), std::string::npos);
}

TEST_F(KubectlCompat, LabelAndAnnotateIncludingRemovalAndOverwrite) {
  applyFixtures();
  ok({"label", "vm", "vm1", "env=dev"});
  auto refused = server_.kubectl({"label", "vm", "vm1", "env=prod"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--overwrite is false"), std::string::npos);
  ok({"label", "vm", "vm1", "env=prod", "--overwrite"});
  EXPECT_EQ(vmJson()["metadata"]["labels"]["env"], "prod");
  ok({"label", "vm", "vm1", "env-"});
  EXPECT_FALSE(vmJson()["metadata"]["labels"].contains("env"));
  ok({"annotate", "vm", "vm1", "note=x"});
  EXPECT_EQ(vmJson()["metadata"]["annotations"]["note"], "x");
  ok({"annotate", "vm", "vm1", "note-"});
  EXPECT_FALSE(vmJson()["metadata"]["annotations"].contains("note"));
}

TEST_F(KubectlCompat, EditWithKubeEditor) {
  applyFixtures();
  auto unchanged = ok({"edit", "vm", "vm1"}, {{"KUBE_EDITOR", "/bin/true"}});
  EXPECT_NE((unchanged.out + unchanged.err).find("Edit cancelled, no changes made."),
            std::string::npos)
      << unchanged.out << unchanged.err;
  ok({"edit", "vm", "vm1"}, {{"KUBE_EDITOR", "/bin/sed -i s/Running/Edited/"}});
  EXPECT_EQ(vmJson()["spec"]["powerstate"], "Edited");
}

TEST_F(KubectlCompat, DeleteRemovesTheObject) {
  applyFixtures();
  EXPECT_NE(ok({"delete", "vm", "vm1"}).out.find("virtualmachine.doslab.io \"vm1\" deleted"),
            std::string::npos);
  EXPECT_NE(server_.kubectl({"get", "vm", "vm1"}).exit_code, 0);
}

TEST_F(KubectlCompat, DeleteWithFinalizerReturnsWhenTheFinalizerGoes) {
  applyFixtures();
  ok({"patch", "vm", "vm1", "--type", "merge", "-p",
      R"({"metadata":{"finalizers":["example.com/hold"]}})"});
  BackgroundProcess deleter;
  std::string out = server_.dir() + "/delete.out";
  ASSERT_TRUE(deleter.start(server_.kubectlArgv({"delete", "vm", "vm1"}), {{"HOME", server_.dir()}},
                            out, server_.dir() + "/delete.err"));
  KubeHttp http(server_);
  // Wait until the delete is pending (deletionTimestamp set), then drop the finalizer.
  auto watch = http.stream(std::string(kVmPath) +
                           "?watch=true&fieldSelector=metadata.name%3Dvm1&resourceVersion=0");
  bool pending = false;
  while (!pending) {
    auto event = watch->nextEvent(seconds(20));
    ASSERT_TRUE(event) << "the delete never became pending";
    pending = (*event)["object"]["metadata"].contains("deletionTimestamp");
  }
  ASSERT_EQ(
      http.patch(std::string(kVmPath) + "/vm1", {{"metadata", {{"finalizers", nullptr}}}}).status,
      200);
  ASSERT_TRUE(waitForFileContaining(out, "deleted", seconds(20))) << readWholeFile(out);
  int status = deleter.stop(0, seconds(20));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(KubectlCompat, ExplainPrintsTheCrdDescription) {
  ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")});
  // kubectl expands short names ("vm") from its discovery cache before it refreshes it, so the
  // first command after creating a CRD uses the singular name (as against any apiserver).
  auto out = ok({"explain", "virtualmachine.spec"}).out;
  EXPECT_NE(out.find("KIND:       VirtualMachine"), std::string::npos) << out;
  EXPECT_NE(out.find("spec of the vm"), std::string::npos) << out;
}

TEST_F(KubectlCompat, RawWatchWithBookmarks) {
  applyFixtures();
  auto out = ok({"get", "--raw",
                 "/apis/doslab.io/v1/namespaces/default/virtualmachines?watch=true&"
                 "allowWatchBookmarks=true&timeoutSeconds=1"})
                 .out;
  EXPECT_NE(out.find(R"("type":"ADDED")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("type":"BOOKMARK")"), std::string::npos) << out;
}

TEST_F(KubectlCompat, RestartKeepsObjects) {
  applyFixtures();
  std::string rv = vmJson()["metadata"]["resourceVersion"];
  ASSERT_EQ(server_.stop(), 0);
  ASSERT_TRUE(server_.start()) << server_.lastError();
  EXPECT_EQ(vmJson()["metadata"]["resourceVersion"], rv);
  EXPECT_NE(ok({"apply", "-f", kubeLiteFixture("vm1.yaml")}).out.find("unchanged"),
            std::string::npos);
}

TEST_F(KubectlCompat, ServerSideApplyCreatesAndUpdates) {
  ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")});
  EXPECT_NE(ok({"apply", "--server-side", "-f", kubeLiteFixture("vm1.yaml")})
                .out.find("serverside-applied"),
            std::string::npos);
  ok({"apply", "--server-side", "-f", kubeLiteFixture("vm1-changed.yaml")});
  EXPECT_EQ(vmJson()["spec"]["powerstate"], "Shutdown");
}

TEST_F(KubectlCompat, WaitForEstablishedReturnsAtOnce) {
  ok({"apply", "-f", kubeLiteFixture("virtualmachine-crd.yaml")});
  auto out = ok({"wait", "--for", "condition=established", "--timeout=10s",
                 "crd/virtualmachines.doslab.io"})
                 .out;
  EXPECT_NE(out.find("condition met"), std::string::npos);
}

TEST_F(KubectlCompat, NamespacesCreateGetDelete) {
  ok({"create", "namespace", "team-a"});  // a protobuf body
  auto applied = server_.kubectl({"apply", "-f", "-"}, {},
                                 "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(std::regex_search(ok({"get", "ns"}).out, std::regex(R"(team-a\s+Active)")));
  ok({"delete", "namespace", "team-a"});
}

TEST_F(KubectlCompat, ImperativeCreateSendsProtobufForBuiltins) {
  ok({"create", "configmap", "c1", "--from-literal=a=b"});
  ok({"create", "secret", "generic", "s1", "--from-literal=p=secret"});
  json cm = json::parse(ok({"get", "cm", "c1", "-o", "json"}).out);
  EXPECT_EQ(cm["data"]["a"], "b");
  EXPECT_FALSE(cm["metadata"].contains("generateName"));
  json secret = json::parse(ok({"get", "secret", "s1", "-o", "json"}).out);
  EXPECT_EQ(secret["data"]["p"], "c2VjcmV0");  // base64("secret")
  EXPECT_EQ(secret["type"], "Opaque");
}

TEST_F(KubectlCompat, BuiltinApplyUsesStrategicMerge) {
  std::string manifest =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  a: \"1\"\n";
  auto created = server_.kubectl({"apply", "-f", "-"}, {}, manifest);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto changed = server_.kubectl({"apply", "-f", "-"}, {}, manifest + "  b: \"2\"\n");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(changed.out.find("configured"), std::string::npos);
  json cm = json::parse(ok({"get", "cm", "c1", "-o", "json"}).out);
  EXPECT_EQ(cm["data"]["b"], "2");
}

TEST(KubectlAuth, ClientCertificateKubeconfigWorks) {
  KubeLiteOptions options;
  options.kubeconfig_auth = "cert";
  KubeLiteProcess server(options);
  ASSERT_TRUE(server.start()) << server.lastError();
  EXPECT_NE(readWholeFile(server.kubeconfig()).find("client-certificate-data"), std::string::npos);
  auto out = server.kubectl({"get", "ns", "default"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
}

TEST(KubectlAuth, WrongTokenIsUnauthorized) {
  KubeLiteProcess server;
  ASSERT_TRUE(server.start()) << server.lastError();
  auto out = server.kubectl({"--token", "wrong", "get", "ns"});
  EXPECT_NE(out.exit_code, 0);
  EXPECT_NE(out.err.find("You must be logged in to the server"), std::string::npos) << out.err;
}

}  // namespace
}  // namespace univirt::testing
