#pragma once

// The kube client on top of the shared kube-lite fixture (tests/integration/kube_lite/
// kube_lite_process.h): a Client built from the kubeconfig kube-lite writes, and the fault
// switch (POST /kube-lite/faults, see daemons/kube-lite/fault_injection.h).

#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/kube/client.h"
#include "core/kube/kubeconfig.h"
#include "integration/kube_lite/kube_lite_process.h"

namespace univirt::kube::testing {

// HTTPS, token auth, fault injection on.
univirt::testing::KubeLiteOptions faultInjectingOptions();

util::Result<ClientConfig> clientConfigFor(const univirt::testing::KubeLiteProcess& server);
util::Result<std::unique_ptr<Client>> clientFor(const univirt::testing::KubeLiteProcess& server,
                                                const TransportOptions& options = {});
// A client that identifies as the daemon `program` ("virtlet", "virtctl", ...), with the
// User-Agent that daemon's binary sends (userAgentFor(program)): for the daemon's code a test
// runs in-process, so kube-lite's audit log counts its requests as the daemon's
// (tests/system/rbac). The test's own setup and assertions use clientFor(): never this one.
util::Result<std::unique_ptr<Client>> daemonClientFor(
    const univirt::testing::KubeLiteProcess& server, std::string_view program,
    TransportOptions options = {});
util::Status injectFault(const univirt::testing::KubeLiteProcess& server,
                         const nlohmann::json& fault);

}  // namespace univirt::kube::testing
