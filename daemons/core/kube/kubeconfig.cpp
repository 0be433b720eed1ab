#include "core/kube/kubeconfig.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>

#include "core/kube/detail/yaml_json.h"

namespace univirt::kube {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using util::Error;
using util::ErrorCode;
using util::Result;

Result<std::string> readFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("cannot read {} '{}': the file does not exist or is not readable", what, path)};
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string trimWhitespace(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// A string field of a kubeconfig map; missing or null is empty, anything else is an error.
Result<std::string> stringField(const json& map, std::string_view key, std::string_view where) {
  auto it = map.find(key);
  if (it == map.end() || it->is_null()) {
    return std::string();
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  return Error{ErrorCode::InvalidArgument,
               fmt::format("{}: field '{}' must be a string", where, key)};
}

Result<bool> boolField(const json& map, std::string_view key, std::string_view where) {
  auto it = map.find(key);
  if (it == map.end() || it->is_null()) {
    return false;
  }
  if (it->is_boolean()) {
    return it->get<bool>();
  }
  return Error{ErrorCode::InvalidArgument,
               fmt::format("{}: field '{}' must be true or false", where, key)};
}

// Path fields name files relative to the kubeconfig that contains them.
void resolvePath(json& map, std::string_view key, const fs::path& base_dir) {
  auto it = map.find(key);
  if (it == map.end() || !it->is_string() || it->get<std::string>().empty()) {
    return;
  }
  fs::path path(it->get<std::string>());
  if (path.is_relative()) {
    *it = (base_dir / path).lexically_normal().string();
  }
}

// One parsed kubeconfig file: named entries plus current-context.
struct KubeconfigFile {
  std::string path;
  json doc;
};

// Finds the named entry of clusters/users/contexts; "first file wins" across merged files.
const json* findNamed(const std::vector<KubeconfigFile>& files, std::string_view list,
                      std::string_view name, std::string_view inner, std::string* found_in) {
  for (const KubeconfigFile& file : files) {
    auto it = file.doc.find(list);
    if (it == file.doc.end() || !it->is_array()) {
      continue;
    }
    for (const json& entry : *it) {
      if (entry.is_object() && entry.value("name", "") == name) {
        *found_in = file.path;
        auto body = entry.find(inner);
        static const json kEmpty = json::object();
        return body != entry.end() && body->is_object() ? &*body : &kEmpty;
      }
    }
  }
  return nullptr;
}

Result<KubeconfigFile> parseFile(std::string_view yaml_text, std::string_view path) {
  std::string what = fmt::format("kubeconfig '{}'", path);
  auto doc = detail::parseYaml(yaml_text, what);
  if (!doc) {
    return std::move(doc).error();
  }
  if (doc->is_null()) {
    *doc = json::object();
  }
  if (!doc->is_object()) {
    return Error{ErrorCode::InvalidArgument, fmt::format("{} is not a YAML map", what)};
  }
  fs::path base_dir = fs::path(path).parent_path();
  for (const char* list : {"clusters", "users", "contexts"}) {
    auto it = doc->find(list);
    if (it == doc->end() || it->is_null()) {
      continue;
    }
    if (!it->is_array()) {
      return Error{ErrorCode::InvalidArgument, fmt::format("{}: '{}' must be a list", what, list)};
    }
    for (json& entry : *it) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("{}: every entry of '{}' needs a string 'name'", what, list)};
      }
    }
  }
  if (auto it = doc->find("clusters"); it != doc->end() && it->is_array()) {
    for (json& entry : *it) {
      if (auto c = entry.find("cluster"); c != entry.end() && c->is_object()) {
        resolvePath(*c, "certificate-authority", base_dir);
      }
    }
  }
  if (auto it = doc->find("users"); it != doc->end() && it->is_array()) {
    for (json& entry : *it) {
      if (auto u = entry.find("user"); u != entry.end() && u->is_object()) {
        resolvePath(*u, "client-certificate", base_dir);
        resolvePath(*u, "client-key", base_dir);
        resolvePath(*u, "tokenFile", base_dir);
      }
    }
  }
  return KubeconfigFile{std::string(path), std::move(*doc)};
}

// PEM data from either "<key>-data" (base64) or "<key>" (a file path).
Result<std::string> pemField(const json& map, const std::string& key, std::string_view where) {
  auto data = stringField(map, key + "-data", where);
  if (!data) {
    return std::move(data).error();
  }
  if (!data->empty()) {
    return detail::decodeBase64(*data, fmt::format("{}: field '{}-data'", where, key));
  }
  auto path = stringField(map, key, where);
  if (!path) {
    return std::move(path).error();
  }
  if (path->empty()) {
    return std::string();
  }
  return readFile(*path, fmt::format("{} of {}", key, where));
}

Result<ClientConfig> buildConfig(const std::vector<KubeconfigFile>& files,
                                 std::string_view context_override) {
  std::string names = files.front().path;
  for (std::size_t i = 1; i < files.size(); ++i) {
    names += ":" + files[i].path;
  }
  std::string context_name(context_override);
  if (context_name.empty()) {
    for (const KubeconfigFile& file : files) {
      std::string current = file.doc.value("current-context", "");
      if (!current.empty()) {
        context_name = current;
        break;
      }
    }
  }
  if (context_name.empty()) {
    return Error{
        ErrorCode::InvalidArgument,
        fmt::format("kubeconfig '{}' sets no current-context; pass a context explicitly", names)};
  }
  std::string context_file;
  const json* context = findNamed(files, "contexts", context_name, "context", &context_file);
  if (context == nullptr) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("kubeconfig '{}' has no context named '{}'", names, context_name)};
  }
  std::string context_where =
      fmt::format("kubeconfig '{}' context '{}'", context_file, context_name);
  auto cluster_name = stringField(*context, "cluster", context_where);
  auto user_name = stringField(*context, "user", context_where);
  auto ns = stringField(*context, "namespace", context_where);
  for (const auto* field : {&cluster_name, &user_name, &ns}) {
    if (!*field) {
      return field->error();
    }
  }
  if (cluster_name->empty()) {
    return Error{ErrorCode::InvalidArgument, fmt::format("{} names no cluster", context_where)};
  }

  std::string cluster_file;
  const json* cluster = findNamed(files, "clusters", *cluster_name, "cluster", &cluster_file);
  if (cluster == nullptr) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} names cluster '{}', which kubeconfig '{}' does not define",
                             context_where, *cluster_name, names)};
  }
  std::string cluster_where =
      fmt::format("kubeconfig '{}' cluster '{}'", cluster_file, *cluster_name);

  ClientConfig config;
  config.source = context_where;
  auto server = stringField(*cluster, "server", cluster_where);
  if (!server) {
    return std::move(server).error();
  }
  config.server = std::move(*server);
  while (!config.server.empty() && config.server.back() == '/') {
    config.server.pop_back();
  }
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{}: 'server' must be an https:// or http:// URL, not '{}'",
                             cluster_where, config.server)};
  }
  auto ca = pemField(*cluster, "certificate-authority", cluster_where);
  auto insecure = boolField(*cluster, "insecure-skip-tls-verify", cluster_where);
  auto server_name = stringField(*cluster, "tls-server-name", cluster_where);
  if (!ca) {
    return std::move(ca).error();
  }
  if (!insecure) {
    return std::move(insecure).error();
  }
  if (!server_name) {
    return std::move(server_name).error();
  }
  config.ca_pem = std::move(*ca);
  config.insecure_skip_tls_verify = *insecure;
  config.tls_server_name = std::move(*server_name);
  if (!ns->empty()) {
    config.default_namespace = *ns;
  }

  if (user_name->empty()) {
    config.token = TokenSource::fixed({});
    return config;
  }
  std::string user_file;
  const json* user = findNamed(files, "users", *user_name, "user", &user_file);
  if (user == nullptr) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} names user '{}', which kubeconfig '{}' does not define",
                             context_where, *user_name, names)};
  }
  std::string user_where = fmt::format("kubeconfig '{}' user '{}'", user_file, *user_name);
  for (const char* unsupported : {"exec", "auth-provider", "username", "password"}) {
    if (user->contains(unsupported)) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("{}: '{}' authentication is not supported; use a token, a token "
                               "file or a client certificate",
                               user_where, unsupported)};
    }
  }
  auto cert = pemField(*user, "client-certificate", user_where);
  auto key = pemField(*user, "client-key", user_where);
  auto token = stringField(*user, "token", user_where);
  auto token_file = stringField(*user, "tokenFile", user_where);
  if (!cert) {
    return std::move(cert).error();
  }
  if (!key) {
    return std::move(key).error();
  }
  if (!token) {
    return std::move(token).error();
  }
  if (!token_file) {
    return std::move(token_file).error();
  }
  if (cert->empty() != key->empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{}: a client certificate needs a client key and the other way round",
                             user_where)};
  }
  config.client_cert_pem = std::move(*cert);
  config.client_key_pem = std::move(*key);
  // kubectl: a literal token wins over tokenFile.
  if (!token->empty() || token_file->empty()) {
    config.token = TokenSource::fixed(std::move(*token));
    return config;
  }
  config.token = TokenSource::file(*token_file);
  if (auto first = config.token->token(); !first) {
    return Error{first.error().code, fmt::format("{}: {}", user_where, first.error().message)};
  }
  return config;
}

}  // namespace

std::shared_ptr<TokenSource> TokenSource::fixed(std::string token) {
  return std::shared_ptr<TokenSource>(new TokenSource(std::move(token), {}));
}

std::shared_ptr<TokenSource> TokenSource::file(std::string path) {
  return std::shared_ptr<TokenSource>(new TokenSource({}, std::move(path)));
}

util::Result<std::string> TokenSource::token() {
  std::lock_guard lock(mu_);
  if (path_.empty()) {
    return token_;
  }
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    return Error{ErrorCode::Unavailable,
                 fmt::format("cannot read token file '{}': it does not exist", path_)};
  }
  long long mtime_ns =
      static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec;
  if (info.st_ino == inode_ && info.st_size == size_ && mtime_ns == mtime_ns_) {
    return token_;
  }
  auto content = readFile(path_, "token file");
  if (!content) {
    return Error{ErrorCode::Unavailable, content.error().message};
  }
  std::string token = trimWhitespace(*content);
  if (token.empty()) {
    return Error{ErrorCode::Unavailable, fmt::format("token file '{}' is empty", path_)};
  }
  token_ = std::move(token);
  inode_ = info.st_ino;
  size_ = info.st_size;
  mtime_ns_ = mtime_ns;
  return token_;
}

EnvLookup processEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

bool runningInCluster(const EnvLookup& env) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  return host && !host->empty() && port && !port->empty();
}

util::Result<ClientConfig> loadInClusterConfig(const InClusterOptions& options) {
  auto host = options.env("KUBERNETES_SERVICE_HOST");
  auto port = options.env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return Error{ErrorCode::InvalidArgument,
                 "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                 "must both be set"};
  }
  fs::path dir(options.service_account_dir);
  ClientConfig config;
  config.source = "in-cluster";
  // An IPv6 service address needs brackets in a URL.
  bool ipv6 = host->find(':') != std::string::npos;
  config.server = fmt::format("https://{}{}{}:{}", ipv6 ? "[" : "", *host, ipv6 ? "]" : "", *port);

  auto ca = readFile((dir / "ca.crt").string(), "in-cluster CA certificate");
  if (!ca) {
    return std::move(ca).error();
  }
  config.ca_pem = std::move(*ca);
  config.token = TokenSource::file((dir / "token").string());
  if (auto first = config.token->token(); !first) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("in-cluster configuration: {}", first.error().message)};
  }
  // The namespace file is optional (client-go falls back to "default" too).
  if (auto ns = readFile((dir / "namespace").string(), "namespace file"); ns) {
    std::string trimmed = trimWhitespace(*ns);
    if (!trimmed.empty()) {
      config.default_namespace = trimmed;
    }
  }
  return config;
}

util::Result<ClientConfig> parseKubeconfig(std::string_view yaml_text, std::string_view path,
                                           std::string_view context) {
  auto file = parseFile(yaml_text, path);
  if (!file) {
    return std::move(file).error();
  }
  std::vector<KubeconfigFile> files;
  files.push_back(std::move(*file));
  return buildConfig(files, context);
}

util::Result<ClientConfig> loadKubeconfig(const KubeconfigOptions& options) {
  std::vector<std::string> paths = options.paths;
  bool explicit_paths = !paths.empty();
  if (paths.empty()) {
    if (auto env = options.env("KUBECONFIG"); env && !env->empty()) {
      std::string_view rest = *env;
      while (!rest.empty()) {
        auto colon = rest.find(':');
        std::string_view entry = rest.substr(0, colon);
        if (!entry.empty()) {
          paths.emplace_back(entry);
        }
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      }
    }
  }
  if (paths.empty()) {
    auto home = options.env("HOME");
    if (!home || home->empty()) {
      return Error{ErrorCode::InvalidArgument,
                   "no kubeconfig: KUBECONFIG is not set and HOME is unknown"};
    }
    paths.push_back((fs::path(*home) / ".kube" / "config").string());
    explicit_paths = true;
  }

  std::vector<KubeconfigFile> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    // kubectl skips KUBECONFIG entries that do not exist; an explicit path must exist.
    if (!explicit_paths && !fs::exists(path, ec)) {
      continue;
    }
    auto text = readFile(path, "kubeconfig");
    if (!text) {
      return std::move(text).error();
    }
    auto file = parseFile(*text, path);
    if (!file) {
      return std::move(file).error();
    }
    files.push_back(std::move(*file));
  }
  if (files.empty()) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("none of the kubeconfig files in KUBECONFIG exists: '{}'",
                             options.env("KUBECONFIG").value_or(""))};
  }
  return buildConfig(files, options.context);
}

util::Result<ClientConfig> loadClientConfig(const LoadOptions& options) {
  KubeconfigOptions kubeconfig;
  kubeconfig.context = options.context;
  kubeconfig.env = options.env;
  if (!options.kubeconfig_path.empty()) {
    kubeconfig.paths = {options.kubeconfig_path};
    return loadKubeconfig(kubeconfig);
  }
  if (auto env = options.env("KUBECONFIG"); env && !env->empty()) {
    return loadKubeconfig(kubeconfig);
  }
  if (runningInCluster(options.env)) {
    InClusterOptions in_cluster;
    in_cluster.service_account_dir = options.service_account_dir;
    in_cluster.env = options.env;
    return loadInClusterConfig(in_cluster);
  }
  return loadKubeconfig(kubeconfig);
}

}  // namespace univirt::kube
