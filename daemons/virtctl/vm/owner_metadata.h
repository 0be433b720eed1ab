#pragma once

// univirt's own element in a domain's <metadata>: which namespace's VirtualMachine created the
// domain, and install facts libvirt has no field for (virt-install's os_variant).
//
//   <metadata>
//     <univirt:vm xmlns:univirt="https://univirt.doslab.io/xmlns/vm/1">
//       <univirt:owner namespace="default"/>
//       <univirt:install osVariant="centos7.0"/>
//     </univirt:vm>
//   </metadata>
//
// libvirt keeps one element per XML namespace, so everything univirt records lives in this
// one element and is rewritten as a whole.

#include <optional>
#include <string>
#include <string_view>

namespace univirt::virtctl::vm {

inline constexpr const char* kMetadataUri = "https://univirt.doslab.io/xmlns/vm/1";
inline constexpr const char* kMetadataPrefix = "univirt";

struct VmMetadata {
  std::string owner_namespace;
  std::string os_variant;  // empty: not recorded
};

// The <univirt:vm> element, namespace declared on it (the form virDomainSetMetadata takes and
// the form that goes under <metadata> in a domain definition).
std::string renderVmMetadata(const VmMetadata& metadata);

// Parses what virDomainGetMetadata returns for kMetadataUri. nullopt when it is not such an
// element or names no owner.
std::optional<VmMetadata> parseVmMetadata(std::string_view xml);

// Inserts (or replaces) the univirt element under <metadata> of a whole domain XML document.
// nullopt when `domain_xml` is not a <domain> document.
std::optional<std::string> withVmMetadata(std::string_view domain_xml, const VmMetadata& metadata);

}  // namespace univirt::virtctl::vm
