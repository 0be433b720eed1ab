#include "virtlet/vm_object.h"

#include <chrono>
#include <memory>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>

#include "core/virt/domain_xml.h"
#include "core/virt/virt_error.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

// virtctl records the owning namespace here (virtctl/vm/owner_metadata.h).
constexpr const char* kOwnerMetadataUri = "https://univirt.doslab.io/xmlns/vm/1";

std::string ownerNamespace(const virt::Domain& domain) {
  std::unique_ptr<char, decltype(&free)> text(
      virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_ELEMENT, kOwnerMetadataUri, 0), &free);
  if (!text) {
    (void)virt::takeLastError();  // no metadata is the common case, not an error
    return {};
  }
  pugi::xml_document doc;
  if (!doc.load_string(text.get())) {
    return {};
  }
  for (pugi::xml_node child : doc.document_element().children()) {
    const std::string name = child.name();
    if (name == "owner" || name.ends_with(":owner")) {
      return child.attribute("namespace").as_string();
    }
  }
  return {};
}

std::int64_t epochMillis(util::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.wallNow().time_since_epoch())
      .count();
}

nlohmann::json waitingStatus(const std::string& reason) {
  return {
      {"conditions",
       {{"state",
         {{"waiting", {{"reason", reason}, {"message", fmt::format("The VM is {}", reason)}}}}}}}};
}

}  // namespace

std::string powerStateReason(virt::PowerState state) {
  switch (state) {
    case virt::PowerState::NoState:
    case virt::PowerState::Running:
    case virt::PowerState::Blocked:
      return "Running";
    case virt::PowerState::Paused:
      return "Paused";
    case virt::PowerState::ShuttingDown:
    case virt::PowerState::Shutoff:
      return "Shutdown";
    case virt::PowerState::Crashed:
      return "Crashed";
    case virt::PowerState::PmSuspended:
      return "Unknown";
  }
  return "Unknown";
}

util::Result<DomainFacts> readDomainFacts(const virt::Domain& domain) {
  auto xml = domain.xml(0);
  if (!xml) {
    return xml.error();
  }
  auto state = domain.state();
  if (!state) {
    return state.error();
  }
  auto json = virt::domainXmlToJson(*xml);
  if (!json) {
    return json.error().withContext(
        fmt::format("converting the XML of domain '{}'", domain.name()));
  }
  DomainFacts facts;
  facts.domain = nlohmann::json((*json)["domain"]);
  facts.power_state = powerStateReason(*state);
  facts.active = facts.power_state == "Running" || facts.power_state == "Paused";
  facts.owner_namespace = ownerNamespace(domain);
  return facts;
}

nlohmann::json newVmObject(const kube::ObjectKey& key, const std::string& node,
                           const DomainFacts& facts, util::Clock& clock) {
  return {
      {"apiVersion", "doslab.io/v1"},
      {"kind", "VirtualMachine"},
      {"metadata",
       {{"name", key.name}, {"namespace", key.namespace_name}, {"labels", {{kHostLabel, node}}}}},
      {"spec",
       {{"domain", facts.domain},
        {"nodeName", node},
        {"powerstate", facts.power_state},
        {"status", waitingStatus(facts.power_state)},
        {"description", {{"lastOperationTimeStamp", epochMillis(clock)}}}}}};
}

void mergeDomainInto(nlohmann::json& vm, const std::string& node, const DomainFacts& facts,
                     bool adopt, util::Clock& clock) {
  nlohmann::json& spec = vm["spec"];
  spec["domain"] = facts.domain;
  spec["description"] = {{"lastOperationTimeStamp", epochMillis(clock)}};
  if (adopt) {
    vm["metadata"]["labels"][kHostLabel] = node;
    spec["nodeName"] = node;
    spec["powerstate"] = facts.power_state;
    spec["status"] = waitingStatus(facts.power_state);
  }
}

}  // namespace univirt::virtlet
