#include "kube-lite/kube_lite_config.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/version.h"

namespace univirt::kubelite {

std::optional<int> parseCommandLine(int argc, char** argv, KubeLiteConfig& config) {
  CLI::App app{"univirt-kube-lite: a single-node Kubernetes-API-compatible server (SQLite store)"};
  addOptions(app, config);
  app.set_version_flag("--version", fmt::format("kube-lite {} (commit {})", kVersion, kGitCommit));
  // CLI11 takes the arguments back to front.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) {
    args.emplace_back(argv[i]);
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return std::nullopt;
}

void addOptions(CLI::App& app, KubeLiteConfig& config) {
  app.add_option("--data-dir", config.data_dir,
                 "directory for the SQLite store, certificates and the token file")
      ->required();
  app.add_option("--bind-address", config.bind_addresses,
                 "address to listen on; repeat for several (default 127.0.0.1)");
  app.add_option("--port", config.port, "port to listen on; 0 picks a free one (default 6443)");
  app.add_option("--port-file", config.port_file,
                 "write the port actually bound to this file once serving");
  app.add_flag("--insecure-http", config.insecure_http,
               "serve plain HTTP instead of HTTPS (tests and debugging only)");
  app.add_option("--token-file", config.token_file,
                 "static token CSV (token,user,uid[,\"groups\"]); created with one admin token "
                 "when missing (default <data-dir>/tokens.csv)");
  app.add_option("--write-kubeconfig", config.write_kubeconfig,
                 "write a kubeconfig for this server to PATH");
  app.add_option("--kubeconfig-auth", config.kubeconfig_auth,
                 "how the written kubeconfig authenticates: token or cert")
      ->check(CLI::IsMember({"token", "cert"}));
  app.add_option("--reported-minor", config.reported_minor,
                 "Kubernetes minor version reported by /version (kubectl's dispatcher picks its "
                 "binary by it; default 32)");
  app.add_option("--audit-log", config.audit_log,
                 "append one audit.k8s.io/v1 Event per request to PATH (JSON lines, level "
                 "Metadata)");
  app.add_flag("--enable-fault-injection", config.enable_fault_injection,
               "serve POST /kube-lite/faults (tests only)");
  app.add_option("--watch-history", config.watch_history,
                 "watch events kept for resuming watches; older RVs get 410 (default 10000)");
  app.add_option("--bookmark-interval", config.bookmark_interval_seconds,
                 "seconds between BOOKMARK events on idle watches that allow them (default 60)");
  app.add_option("--max-request-bytes", config.max_request_bytes,
                 "largest request body accepted (default 3 MiB, as kube-apiserver)");
  app.add_option("--max-threads", config.max_threads,
                 "worker threads; every open watch holds one (default 512)");
}

}  // namespace univirt::kubelite
