#include "core/kube/kubeconfig.h"

#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/core/kube/temp_dir.h"

namespace univirt::kube {
namespace {

using ::testing::HasSubstr;
using util::ErrorCode;

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

KubeconfigOptions kubeconfigOptions(std::vector<std::string> paths, EnvLookup env) {
  KubeconfigOptions options;
  options.paths = std::move(paths);
  options.env = std::move(env);
  return options;
}

InClusterOptions inClusterOptions(const std::filesystem::path& dir, EnvLookup env) {
  InClusterOptions options;
  options.service_account_dir = dir.string();
  options.env = std::move(env);
  return options;
}

LoadOptions loadOptions(std::string kubeconfig_path, std::string sa_dir, EnvLookup env) {
  LoadOptions options;
  options.kubeconfig_path = std::move(kubeconfig_path);
  options.service_account_dir = std::move(sa_dir);
  options.env = std::move(env);
  return options;
}

// The PEM text the base64 certificate-authority-data of the fixtures decodes to.
constexpr std::string_view kCaPem = "-----BEGIN CERTIFICATE-----\nCA\n";

constexpr std::string_view kInlineConfig = R"(apiVersion: v1
kind: Config
current-context: admin@lite
clusters:
- name: lite
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==
- name: other
  cluster:
    server: https://10.0.0.1:443
    insecure-skip-tls-verify: true
contexts:
- name: admin@lite
  context: {cluster: lite, user: admin, namespace: vms}
- name: other
  context: {cluster: other, user: admin}
users:
- name: admin
  user:
    token: "s3cret"
)";

TEST(Kubeconfig, UsesCurrentContextWithInlineData) {
  auto config = parseKubeconfig(kInlineConfig, "/x/config");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "vms");
  ASSERT_NE(config->token, nullptr);
  EXPECT_EQ(config->token->token().value(), "s3cret");
  EXPECT_THAT(config->source, HasSubstr("admin@lite"));
}

TEST(Kubeconfig, ExplicitContextOverridesCurrentContext) {
  auto config = parseKubeconfig(kInlineConfig, "/x/config", "other");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "default");
}

TEST(Kubeconfig, UnknownContextIsAnErrorNamingIt) {
  auto config = parseKubeconfig(kInlineConfig, "/x/config", "nope");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
  EXPECT_THAT(config.error().message, HasSubstr("'nope'"));
  EXPECT_THAT(config.error().message, HasSubstr("/x/config"));
}

TEST(Kubeconfig, InvalidYamlNamesFileAndLine) {
  auto config = parseKubeconfig("clusters:\n  - name: [unclosed\n", "/etc/bad.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("'/etc/bad.yaml'"));
  EXPECT_THAT(config.error().message, HasSubstr("line"));
}

TEST(Kubeconfig, ReadsRelativeFilesFromKubeconfigDirectory) {
  testing::TempDir dir;
  dir.write("pki/ca.crt", "CA-PEM");
  dir.write("pki/client.crt", "CERT-PEM");
  dir.write("pki/client.key", "KEY-PEM");
  dir.write("token", "file-token\n");
  std::string path = dir.write("conf/config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: ../pki/ca.crt}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    client-certificate: ../pki/client.crt
    client-key: ../pki/client.key
    tokenFile: ../token
)");
  auto config = loadKubeconfig(kubeconfigOptions({path}, envOf({})));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->ca_pem, "CA-PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(config->client_key_pem, "KEY-PEM");
  EXPECT_EQ(config->token->token().value(), "file-token");
}

TEST(Kubeconfig, MissingCertificateFileIsAnErrorNamingBothFiles) {
  testing::TempDir dir;
  std::string path = dir.write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: missing-ca.crt}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  auto config = loadKubeconfig(kubeconfigOptions({path}, envOf({})));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
  EXPECT_THAT(config.error().message, HasSubstr((dir.path() / "missing-ca.crt").string()));
  EXPECT_THAT(config.error().message, HasSubstr("cluster 'k'"));
}

TEST(Kubeconfig, ClientCertificateWithoutKeyIsRejected) {
  auto config = parseKubeconfig(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]
)",
                                "/k");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("client key"));
}

TEST(Kubeconfig, ExecAuthenticationIsRejectedClearly) {
  auto config = parseKubeconfig(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h:1"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: aws}}}]
)",
                                "/k");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("'exec' authentication is not supported"));
}

TEST(Kubeconfig, ServerMustBeAnHttpUrl) {
  auto config = parseKubeconfig(R"(current-context: c
clusters: [{name: k, cluster: {server: "h:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)",
                                "/k");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("'h:1'"));
}

TEST(Kubeconfig, MergesKubeconfigListFirstEntryWins) {
  testing::TempDir dir;
  std::string first = dir.write("a", R"(current-context: ctx
clusters: [{name: k, cluster: {server: "https://first:1"}}]
contexts: [{name: ctx, context: {cluster: k, user: u}}]
)");
  std::string second = dir.write("b", R"(current-context: ignored
clusters: [{name: k, cluster: {server: "https://second:1"}}]
contexts: [{name: ignored, context: {cluster: k}}]
users: [{name: u, user: {token: from-second}}]
)");
  std::string missing = (dir.path() / "does-not-exist").string();
  auto config = loadKubeconfig(
      kubeconfigOptions({}, envOf({{"KUBECONFIG", missing + ":" + first + "::" + second}})));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://first:1");
  EXPECT_EQ(config->token->token().value(), "from-second");
}

TEST(Kubeconfig, ExplicitPathMustExist) {
  testing::TempDir dir;
  std::string missing = (dir.path() / "nope").string();
  auto config = loadKubeconfig(kubeconfigOptions({missing}, envOf({})));
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr(missing));
}

TEST(Kubeconfig, FallsBackToHomeKubeConfig) {
  testing::TempDir dir;
  dir.write(".kube/config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://home:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  auto config = loadKubeconfig(kubeconfigOptions({}, envOf({{"HOME", dir.path().string()}})));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://home:1");
  EXPECT_EQ(config->token->token().value(), "");
}

TEST(TokenSource, RereadsFileWhenItChanges) {
  testing::TempDir dir;
  std::string path = dir.write("token", "one\n");
  auto source = TokenSource::file(path);
  EXPECT_EQ(source->token().value(), "one");
  // Rotation the way kubelet does it: a new file renamed over the old one (new inode).
  std::string next = dir.write("token.next", "two-longer");
  std::filesystem::rename(next, path);
  EXPECT_EQ(source->token().value(), "two-longer");
  std::filesystem::remove(path);
  auto gone = source->token();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::Unavailable);
  EXPECT_THAT(gone.error().message, HasSubstr(path));
}

class InClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("token", "sa-token\n");
    dir_.write("ca.crt", "CLUSTER-CA");
    dir_.write("namespace", "univirt-system\n");
  }
  testing::TempDir dir_;
};

TEST_F(InClusterTest, ReadsServiceAccountDirectory) {
  auto config = loadInClusterConfig(inClusterOptions(
      dir_.path(),
      envOf({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}})));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, "CLUSTER-CA");
  EXPECT_EQ(config->token->token().value(), "sa-token");
  EXPECT_EQ(config->token->path(), (dir_.path() / "token").string());
  EXPECT_EQ(config->default_namespace, "univirt-system");
}

TEST_F(InClusterTest, BracketsIpv6ServiceHost) {
  auto config = loadInClusterConfig(inClusterOptions(
      dir_.path(),
      envOf({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}})));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST_F(InClusterTest, MissingTokenIsAnErrorNamingTheFile) {
  std::filesystem::remove(dir_.path() / "token");
  auto config = loadInClusterConfig(inClusterOptions(
      dir_.path(), envOf({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}})));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::InvalidArgument);
  EXPECT_THAT(config.error().message, HasSubstr((dir_.path() / "token").string()));
}

TEST_F(InClusterTest, OutsideClusterIsAnError) {
  auto config = loadInClusterConfig(inClusterOptions(dir_.path(), envOf({})));
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("KUBERNETES_SERVICE_HOST"));
}

TEST_F(InClusterTest, LoadClientConfigPrefersKubeconfigThenInClusterThenHome) {
  testing::TempDir home;
  home.write(".kube/config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://home:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::string env_file = dir_.write("env-config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://env:1"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::map<std::string, std::string> vars = {{"HOME", home.path().string()},
                                             {"KUBERNETES_SERVICE_HOST", "incluster"},
                                             {"KUBERNETES_SERVICE_PORT", "443"},
                                             {"KUBECONFIG", env_file}};
  std::string sa_dir = dir_.path().string();
  auto explicit_path =
      loadClientConfig(loadOptions((home.path() / ".kube/config").string(), sa_dir, envOf(vars)));
  ASSERT_TRUE(explicit_path) << explicit_path.error().message;
  EXPECT_EQ(explicit_path->server, "https://home:1");

  auto from_env = loadClientConfig(loadOptions("", sa_dir, envOf(vars)));
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->server, "https://env:1");

  vars.erase("KUBECONFIG");
  auto in_cluster = loadClientConfig(loadOptions("", sa_dir, envOf(vars)));
  ASSERT_TRUE(in_cluster) << in_cluster.error().message;
  EXPECT_EQ(in_cluster->server, "https://incluster:443");

  vars.erase("KUBERNETES_SERVICE_HOST");
  auto from_home = loadClientConfig(loadOptions("", sa_dir, envOf(vars)));
  ASSERT_TRUE(from_home) << from_home.error().message;
  EXPECT_EQ(from_home->server, "https://home:1");
}

}  // namespace
}  // namespace univirt::kube
