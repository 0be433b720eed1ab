// kubectl's default validation (`--validate=strict`) against kube-lite with every kubectl the
// dispatcher can pick: 1.27 finds the server's support for `fieldValidation` in /openapi/v2
// (gnostic protobuf), 1.28+ in /openapi/v3; either way the server does the validation
// (`fieldValidation=Strict`) and rejects unknown fields with its own error, while kubectl's
// client-side fallback (which would print "ValidationError(...)") stays unused.

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/kube_lite/kube_lite_process.h"

namespace univirt::testing {
namespace {

using nlohmann::json;

std::string widget(const std::string& name, int cpu, const std::string& extra = "") {
  return "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: " + name +
         "\nspec:\n  cpu: " + std::to_string(cpu) + "\n  color: red\n" + extra;
}

class KubectlValidation : public ::testing::TestWithParam<std::string> {
 protected:
  KubectlValidation() : server_(options()) {}
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.lastError(); }

  KubeLiteOptions options() {
    KubeLiteOptions options;
    options.minor = GetParam();
    return options;
  }
  ProcessResult apply(const std::string& manifest, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"apply", "-f", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    return server_.kubectl(args, {}, manifest);
  }
  json get(const std::string& name) {
    auto result = server_.kubectl({"get", "widget", name, "-o", "json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code == 0 ? json::parse(result.out) : json();
  }

  KubeLiteProcess server_;
};

TEST_P(KubectlValidation, StrictByDefaultRejectsUnknownFieldsOnTheServerAndAcceptsValidObjects) {
  // -v=6 logs every request with its status ("GET <url> 200 OK in …" up to 1.30,
  // "Response" verb="GET" url="<url>" status="200 OK" in 1.31+): which OpenAPI it read.
  auto crd = server_.kubectl({"apply", "-f", kubeLiteFixture("widget-crd.yaml"), "-v=6"});
  ASSERT_EQ(crd.exit_code, 0) << crd.out << crd.err;
  EXPECT_NE(crd.out.find("customresourcedefinition.apiextensions.k8s.io/widgets.example.com "
                         "created"),
            std::string::npos)
      << crd.out;
  if (GetParam() == "27") {
    EXPECT_TRUE(std::regex_search(crd.err, std::regex(R"(GET\S* \S*/openapi/v2\S* \S*200 OK)")))
        << crd.err;
  }
  EXPECT_TRUE(
      std::regex_search(crd.err, std::regex(R"(POST\S* \S*fieldValidation=Strict\S* \S*201)")))
      << crd.err;

  auto valid = apply(widget("w1", 1));
  ASSERT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  EXPECT_NE(valid.out.find("widget.example.com/w1 created"), std::string::npos) << valid.out;

  auto unknown = apply(widget("w2", 1, "  foo: bar\n"));
  EXPECT_NE(unknown.exit_code, 0) << unknown.out;
  EXPECT_NE(unknown.err.find("Error from server (BadRequest)"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("strict decoding error: unknown field \"spec.foo\""),
            std::string::npos)
      << unknown.err;
  EXPECT_EQ(unknown.err.find("ValidationError"), std::string::npos) << unknown.err;
  auto missing = server_.kubectl({"get", "widget", "w2"});
  EXPECT_NE(missing.err.find("NotFound"), std::string::npos) << missing.err;

  // Changes go through PATCH, validated the same way.
  auto changed = apply(widget("w1", 2));
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(changed.out.find("widget.example.com/w1 configured"), std::string::npos);
  auto unknown_change = apply(widget("w1", 3, "  foo: bar\n"));
  EXPECT_NE(unknown_change.exit_code, 0);
  EXPECT_NE(unknown_change.err.find("strict decoding error: unknown field \"spec.foo\""),
            std::string::npos)
      << unknown_change.err;
  json w1 = get("w1");
  EXPECT_EQ(w1["spec"]["cpu"], 2);
  EXPECT_FALSE(w1["spec"].contains("foo"));

  // --validate=false sends fieldValidation=Ignore: the server prunes instead.
  auto ignored = apply(widget("w3", 1, "  foo: bar\n"), {"--validate=false"});
  ASSERT_EQ(ignored.exit_code, 0) << ignored.err;
  EXPECT_FALSE(get("w3")["spec"].contains("foo"));

  // A built-in kind: created, then changed through a strategic merge patch.
  std::string config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n";
  auto created = apply(config_map + "  a: \"1\"\n");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto configured = apply(config_map + "  a: \"1\"\n  b: \"2\"\n");
  ASSERT_EQ(configured.exit_code, 0) << configured.err;
  EXPECT_NE(configured.out.find("configmap/c1 configured"), std::string::npos) << configured.out;
  auto cm = server_.kubectl({"get", "cm", "c1", "-o", "jsonpath={.data.b}"});
  EXPECT_EQ(cm.out, "2");
}

INSTANTIATE_TEST_SUITE_P(Minor, KubectlValidation, ::testing::Values("27", "30", "32", "33"));

TEST(KubectlOpenApiV2, Kubectl127ExplainReadsTheCrdSchemaFromOpenApiV2) {
  KubeLiteOptions options;
  options.minor = "27";
  KubeLiteProcess server(options);
  ASSERT_TRUE(server.start()) << server.lastError();
  auto crd = server.kubectl({"apply", "-f", kubeLiteFixture("widget-crd.yaml")});
  ASSERT_EQ(crd.exit_code, 0) << crd.err;
  auto explained =
      server.kubectl({"explain", "widgets.spec", "--output=plaintext-openapiv2", "-v=6"});
  ASSERT_EQ(explained.exit_code, 0) << explained.out << explained.err;
  EXPECT_TRUE(std::regex_search(explained.err, std::regex(R"(GET\S* \S*/openapi/v2\S* \S*200 OK)")))
      << explained.err;
  EXPECT_NE(explained.out.find("KIND:     Widget"), std::string::npos) << explained.out;
  EXPECT_TRUE(std::regex_search(explained.out, std::regex(R"(cpu\s+<integer> -required-)")))
      << explained.out;
  EXPECT_TRUE(std::regex_search(explained.out, std::regex(R"(color\s+<string>)"))) << explained.out;
}

}  // namespace
}  // namespace univirt::testing
