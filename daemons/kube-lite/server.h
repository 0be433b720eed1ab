#pragma once

// Server: kube-lite's HTTP(S) front end on Poco::Net. It authenticates (bearer token or client
// certificate), enforces the request size limit, hands the request to ApiServer and writes
// the audit line. Every connection runs on a worker of one large pool, because each open
// watch holds its thread (recipes.md: 256+ threads keep 100 watches and still answer GETs).

#include <memory>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "kube-lite/api_server.h"
#include "kube-lite/audit.h"
#include "kube-lite/auth.h"
#include "kube-lite/certs.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace univirt::kubelite {

struct ServerOptions {
  std::vector<std::string> bind_addresses;
  int port = 6443;
  bool insecure_http = false;
  CertificatePaths certs;
  long max_request_bytes = 3 * 1024 * 1024;
  int max_threads = 512;
};

class Server {
 public:
  Server(ServerOptions options, ApiServer& api, const TokenAuthenticator& auth, AuditLog* audit);
  ~Server();

  // Binds every address (the first port chosen is reused for the others when port is 0).
  util::Status start();
  void stop();
  int port() const { return bound_port_; }

 private:
  ServerOptions options_;
  ApiServer& api_;
  const TokenAuthenticator& auth_;
  AuditLog* audit_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::vector<std::unique_ptr<Poco::Net::HTTPServer>> servers_;
  int bound_port_ = 0;
};

}  // namespace univirt::kubelite
