#pragma once

// univirt-ovnctl: the operator's command line to the VirtualMachineNetwork operations virtctl
// carries out. One sub-command per row of the operation table, named by the lifecycle key
// (createSwitch) with upstream's kubeovn-adm sub-command (create-switch) as an alias; its
// options are the row's parameters (--subnet, --swName, …), checked exactly as a lifecycle
// request is. It talks to the OVN northbound and Open_vSwitch databases directly; it does not
// read or write Kubernetes objects. After a change it prints what the refresh would write
// (.spec.data / .spec.type).

#include <iosfwd>

namespace univirt::ovnctl {

// Exit codes: 0 done, 1 the operation failed, 2 usage error (bad option or parameter).
int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace univirt::ovnctl
