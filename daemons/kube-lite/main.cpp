// univirt-kube-lite: the embedded single-node Kubernetes API server. main() only wires:
// config -> store -> API -> HTTPS server -> wait for SIGTERM/SIGINT -> stop.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "core/util/clock.h"
#include "core/util/log.h"
#include "kube-lite/api_server.h"
#include "kube-lite/audit.h"
#include "kube-lite/auth.h"
#include "kube-lite/certs.h"
#include "kube-lite/fault_injection.h"
#include "kube-lite/kube_lite_config.h"
#include "kube-lite/kubeconfig.h"
#include "kube-lite/server.h"

namespace kl = univirt::kubelite;
namespace ulog = univirt::log;

namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "univirt-kube-lite: %s\n", message.c_str());
  return code;
}

bool writeAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) {
      return false;
    }
    out << text;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  kl::KubeLiteConfig config;
  if (auto code = kl::parseCommandLine(argc, argv, config)) {
    return *code;
  }

  // Block the stop signals before any thread starts so only sigwait() below sees them;
  // a client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return fail(2, fmt::format("cannot create data dir '{}': {}", config.data_dir, ec.message()));
  }
  if (config.token_file.empty()) {
    config.token_file = config.data_dir + "/tokens.csv";
  }
  auto auth = kl::TokenAuthenticator::load(config.token_file);
  if (!auth) {
    return fail(2, auth.error().message);
  }
  kl::CertificatePaths certs;
  if (!config.insecure_http) {
    auto ensured = kl::ensureCertificates(config.data_dir, config.bind_addresses);
    if (!ensured) {
      return fail(1, ensured.error().message);
    }
    certs = *ensured;
  }
  std::unique_ptr<kl::AuditLog> audit;
  if (!config.audit_log.empty()) {
    auto opened = kl::AuditLog::open(config.audit_log);
    if (!opened) {
      return fail(2, opened.error().message);
    }
    audit = std::move(*opened);
  }

  kl::WatchHub hub(static_cast<size_t>(std::max(config.watch_history, 1)));
  auto store = kl::Store::open(config.data_dir + "/kube-lite.db", hub);
  if (!store) {
    return fail(1, store.error().message);
  }
  kl::ResourceRegistry registry;
  kl::FaultInjector faults(config.enable_fault_injection, hub);
  kl::ApiServerOptions api_options;
  api_options.minor = config.reported_minor;
  api_options.bookmark_interval =
      std::chrono::milliseconds(static_cast<long>(config.bookmark_interval_seconds * 1000));
  kl::ServerOptions server_options{config.bind_addresses,    config.port,
                                   config.insecure_http,     certs,
                                   config.max_request_bytes, config.max_threads};
  // The advertised address needs the bound port, known only after start(); /api reads it.
  kl::ApiServer api(**store, hub, registry, faults, univirt::util::Clock::real(), api_options);
  if (auto st = api.bootstrap(); !st) {
    return fail(1, st.error().message);
  }
  kl::Server server(server_options, api, *auth, audit.get());
  if (auto st = server.start(); !st) {
    return fail(1, st.error().message);
  }
  std::string scheme = config.insecure_http ? "http" : "https";
  std::string host = config.bind_addresses.front();
  if (host == "0.0.0.0" || host == "::") {
    host = "127.0.0.1";
  }
  std::string url = host.find(':') != std::string::npos
                        ? fmt::format("{}://[{}]:{}", scheme, host, server.port())
                        : fmt::format("{}://{}:{}", scheme, host, server.port());
  if (!config.write_kubeconfig.empty()) {
    kl::KubeconfigSpec spec;
    spec.server = url;
    if (!config.insecure_http) {
      spec.ca_pem = kl::readFile(certs.ca_cert).value_or("");
    }
    if (config.kubeconfig_auth == "cert" && !config.insecure_http) {
      spec.client_cert_pem = kl::readFile(certs.client_cert).value_or("");
      spec.client_key_pem = kl::readFile(certs.client_key).value_or("");
    } else {
      spec.token = auth->firstToken();
    }
    if (auto st = kl::writeKubeconfig(config.write_kubeconfig, spec); !st) {
      return fail(1, st.error().message);
    }
  }
  if (!config.port_file.empty() &&
      !writeAtomically(config.port_file, std::to_string(server.port()) + "\n")) {
    return fail(1, fmt::format("cannot write port file '{}'", config.port_file));
  }
  ulog::info("kube-lite serving",
             {{"url", url}, {"data_dir", config.data_dir}, {"rv", (*store)->currentRv()}});

  int signal = 0;
  sigwait(&stop_signals, &signal);
  ulog::info("kube-lite stopping", {{"signal", signal}});
  hub.shutdown();
  server.stop();
  ulog::info("kube-lite stopped");
  return 0;
}
