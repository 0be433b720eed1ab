#pragma once

// The kube client on top of the shared kube-lite fixture (tests/integration/kube_lite/
// kube_lite_process.h): a Client built from the kubeconfig kube-lite writes, and the fault
// switch (POST /kube-lite/faults, see daemons/kube-lite/fault_injection.h).

#include <memory>

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
util::Status injectFault(const univirt::testing::KubeLiteProcess& server,
                         const nlohmann::json& fault);

}  // namespace univirt::kube::testing
