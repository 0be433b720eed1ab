#include "integration/kube_client/kube_lite_client.h"

#include <fmt/format.h>

#include "core/kube/user_agent.h"

namespace univirt::kube::testing {

univirt::testing::KubeLiteOptions faultInjectingOptions() {
  univirt::testing::KubeLiteOptions options;
  options.fault_injection = true;
  return options;
}

util::Result<ClientConfig> clientConfigFor(const univirt::testing::KubeLiteProcess& server) {
  KubeconfigOptions options;
  options.paths = {server.kubeconfig()};
  return loadKubeconfig(options);
}

util::Result<std::unique_ptr<Client>> clientFor(const univirt::testing::KubeLiteProcess& server,
                                                const TransportOptions& options) {
  auto config = clientConfigFor(server);
  if (!config) {
    return std::move(config).error();
  }
  return Client::create(*config, options);
}

util::Result<std::unique_ptr<Client>> daemonClientFor(
    const univirt::testing::KubeLiteProcess& server, std::string_view program,
    TransportOptions options) {
  options.user_agent = userAgentFor(program);
  return clientFor(server, options);
}

util::Status injectFault(const univirt::testing::KubeLiteProcess& server,
                         const nlohmann::json& fault) {
  auto config = clientConfigFor(server);
  if (!config) {
    return std::move(config).error();
  }
  auto transport = Transport::create(*config);
  if (!transport) {
    return std::move(transport).error();
  }
  HttpRequest request;
  request.method = "POST";
  request.target = "/kube-lite/faults";
  request.body = fault.dump();
  auto response = (*transport)->send(request);
  if (!response) {
    return std::move(response).error();
  }
  if (response->status != 200) {
    return util::Error{util::ErrorCode::Internal,
                       fmt::format("kube-lite refused fault {}: HTTP {} {}", fault.dump(),
                                   response->status, response->body)};
  }
  return util::ok();
}

}  // namespace univirt::kube::testing
