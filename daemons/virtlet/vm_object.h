#pragma once

// The VirtualMachine object virtlet writes for a domain found on disk (crd-contract.md §4.1,
// §5.2): upstream's shape, .spec.domain as JSON (core/virt/domain_xml.h).

#include <string>

#include <nlohmann/json.hpp>

#include "core/kube/object.h"
#include "core/util/clock.h"
#include "core/util/result.h"
#include "core/virt/domain.h"

namespace univirt::virtlet {

struct DomainFacts {
  nlohmann::json domain;         // the value of .spec.domain
  std::string power_state = {};  // Running, Paused, Shutdown, Crashed, Unknown
  bool active = false;
  std::string owner_namespace = {};  // from univirt's <metadata> element; empty when absent
};

// Upstream's power-state words (§4.1).
std::string powerStateReason(virt::PowerState state);

// Reads the live XML, state and univirt owner metadata of `domain`.
util::Result<DomainFacts> readDomainFacts(const virt::Domain& domain);

nlohmann::json newVmObject(const kube::ObjectKey& key, const std::string& node,
                           const DomainFacts& facts, util::Clock& clock);

// Merges .spec.domain and description into `vm`; with `adopt` also labels.host, .spec.nodeName,
// powerstate and waiting status, as upstream's take-over.
void mergeDomainInto(nlohmann::json& vm, const std::string& node, const DomainFacts& facts,
                     bool adopt, util::Clock& clock);

}  // namespace univirt::virtlet
