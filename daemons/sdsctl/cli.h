#pragma once

// univirt-sdsctl: the operator's command line to the same storage operations virtctl carries
// out for VirtualMachinePool/Disk/DiskImage/DiskSnapshot requests. One sub-command per row of
// the operation table, named as upstream's sdsctl (create-disk) with the lifecycle key
// (createDisk) as an alias; its options are the row's parameters. It works on this node's
// libvirt and files directly; it does not read or write Kubernetes objects.

#include <iosfwd>

namespace univirt::sdsctl {

// Exit codes: 0 done, 1 the operation failed, 2 usage error (bad option or parameter).
int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace univirt::sdsctl
