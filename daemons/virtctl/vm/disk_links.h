#pragma once

// Which VirtualMachine uses a disk, recorded as upstream does: `.spec.volume.vm` of the
// VirtualMachineDisk named after the disk file (pool layout <pool>/<disk>/<disk>), set by
// createAndStartVMFromISO/FromImage and plugDisk, cleared by unplugDisk.
//
// Best effort, as upstream: a disk file that is no VirtualMachineDisk, or a failed API call,
// is logged and never fails the VM operation that already took effect.

#include <string>

namespace univirt::kube {
class Client;
}

namespace univirt::virtctl::vm {

// The VirtualMachineDisk name for a disk file: its base name.
std::string diskObjectName(const std::string& disk_path);

// Sets (vm_name non-empty) or clears (empty) the link. A null `client` does nothing.
void recordDiskUser(kube::Client* client, const std::string& namespace_name,
                    const std::string& disk_path, const std::string& vm_name);

}  // namespace univirt::virtctl::vm
