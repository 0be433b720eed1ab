#pragma once

// The User-Agent every API request of this process carries, in kubectl's form:
//   univirt-<program>/<version> (<os>/<arch>)      e.g. univirt-virtctl/0.1.0 (linux/amd64)
// <program> is the executable's name without its "univirt-" prefix, so each daemon identifies
// itself without any call in its main(): the kube-apiserver audit log (and kube-lite's) then
// tells virtctl's requests from virtlet's, and the ClusterRole is checked against them
// (tests/system/rbac). The name is read once per process; setProgramName() overrides it for
// processes whose executable name is not the program (call it before the first Transport).

#include <string>
#include <string_view>

namespace univirt::kube {

// The User-Agent header value; the same for the whole life of the process.
const std::string& userAgent();

// Makes the program name `name` (e.g. "virtctl"). Only effective before the first userAgent().
void setProgramName(std::string_view name);

// The pieces, for tests: the User-Agent for `program` built from this binary's version and
// platform, and the program name derived from an executable path.
std::string userAgentFor(std::string_view program);
std::string programNameFromExecutable(std::string_view path);

}  // namespace univirt::kube
