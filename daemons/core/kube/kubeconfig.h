#pragma once

// Where the daemons' API client connects and how it authenticates.
//
// A ClientConfig comes from one of three places, in the order controller-runtime tries them:
//   1. an explicit kubeconfig path (--kubeconfig),
//   2. the KUBECONFIG environment variable (':'-separated files, merged as kubectl merges them:
//      for clusters, users and contexts the first file naming an entry wins, and the first file
//      that sets current-context wins),
//   3. in-cluster: KUBERNETES_SERVICE_HOST/PORT plus the service-account directory
//      (token, ca.crt, namespace),
//   4. ~/.kube/config.
// A caller may also fill a ClientConfig itself (explicit values, e.g. from flags).
//
// Files named by a kubeconfig (certificate-authority, client-certificate, client-key) are read
// when the configuration is loaded, so a missing or unreadable file is reported once, at startup,
// with its path. Relative paths are resolved against the directory of the kubeconfig file that
// named them, as kubectl does. Token files are different: service-account tokens rotate, so the
// TokenSource re-reads the file whenever it changes on disk.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "core/util/result.h"

namespace univirt::kube {

// The bearer token for every request. Thread-safe.
class TokenSource {
 public:
  // A fixed token (empty means: send no Authorization header).
  static std::shared_ptr<TokenSource> fixed(std::string token);
  // A token file that is re-read whenever its inode, size or modification time changes
  // (projected service-account tokens are rotated by an atomic symlink swap).
  static std::shared_ptr<TokenSource> file(std::string path);

  // The current token, or an error naming the file when it cannot be read.
  util::Result<std::string> token();
  const std::string& path() const { return path_; }

 private:
  TokenSource(std::string token, std::string path)
      : token_(std::move(token)), path_(std::move(path)) {}

  std::mutex mu_;
  std::string token_;  // guarded by mu_
  const std::string path_;
  // Identity of the file content last read; guarded by mu_.
  ino_t inode_ = 0;
  off_t size_ = -1;
  long long mtime_ns_ = -1;
};

struct ClientConfig {
  // "https://host:port" (or "http://" for a plain local test server); no trailing path.
  std::string server;
  // PEM data. An empty ca_pem with TLS means the system's default CAs.
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_tls_verify = false;
  // Name to verify the server certificate against when it differs from the host in `server`.
  std::string tls_server_name;
  // Shared by every Transport built from this config (one token file, re-read on change).
  std::shared_ptr<TokenSource> token;
  // The namespace to use when the caller names none.
  std::string default_namespace = "default";
  // Where this configuration came from, for messages: "in-cluster", "kubeconfig '/x' context 'y'".
  std::string source;
};

// Reads an environment variable; injectable so tests do not change the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup processEnv();

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct InClusterOptions {
  std::string service_account_dir = std::string(kServiceAccountDir);
  EnvLookup env = processEnv();
};

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are both set.
bool runningInCluster(const EnvLookup& env);

util::Result<ClientConfig> loadInClusterConfig(const InClusterOptions& options = {});

struct KubeconfigOptions {
  // Files to merge, in priority order. Empty: KUBECONFIG, else $HOME/.kube/config.
  std::vector<std::string> paths;
  // Context to use instead of current-context.
  std::string context;
  EnvLookup env = processEnv();
};

util::Result<ClientConfig> loadKubeconfig(const KubeconfigOptions& options = {});

// Parses one kubeconfig document already in memory; `path` is used for messages and to
// resolve relative file names.
util::Result<ClientConfig> parseKubeconfig(std::string_view yaml_text, std::string_view path,
                                           std::string_view context = {});

struct LoadOptions {
  std::string kubeconfig_path;  // --kubeconfig; wins over everything else
  std::string context;          // --context
  std::string service_account_dir = std::string(kServiceAccountDir);
  EnvLookup env = processEnv();
};

// The precedence described at the top of this file.
util::Result<ClientConfig> loadClientConfig(const LoadOptions& options = {});

}  // namespace univirt::kube
