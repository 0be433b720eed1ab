#pragma once

// The VirtualMachine rows of the operation table (crd-contract.md §3.1): every operation
// through the libvirt C API, in-process, with no virsh, virt-install or shell.

#include <functional>
#include <memory>
#include <string>

#include "core/lifecycle/operation_table.h"
#include "core/util/result.h"
#include "core/virt/connection.h"

namespace univirt::kube {
class Client;
}

namespace univirt::virtctl {

struct VmNodeSettings {
  std::string node_name;
  // A request for virt_type kvm on a node without /dev/kvm fails clearly, unless this is
  // set: then the domain is defined as type qemu and the outcome message says so.
  bool kvm_available = false;
  bool allow_qemu_fallback = false;
  // Hot-plug device XML is kept here, as upstream: <vm>-disk-<target>.xml, <vm>-nic-<mac>.xml.
  std::string device_dir = "/var/lib/libvirt/devices";
  // Domains with no recorded owner (defined outside univirt) belong to this namespace.
  std::string home_namespace = "default";
  // migrateVM: the destination libvirtd, `{}` replaced by the request's ip (upstream
  // `qemu+ssh://<ip>/system`), and the migration stream address (upstream `tcp://<ip>`).
  std::string migration_connect_uri = "qemu+ssh://{}/system";
  std::string migration_data_uri = "tcp://{}";
  // Program used to create and resize disk image files (argv exec, never a shell).
  std::string qemu_img = "qemu-img";
};

using ConnectionProvider = std::function<util::Result<std::shared_ptr<virt::Connection>>()>;

struct VmOperationDeps {
  VmNodeSettings settings;
  ConnectionProvider connect;
  // For the operations that touch other objects (plugDisk sets the VirtualMachineDisk's
  // .spec.volume.vm). May be null in tests that do not check those side effects.
  kube::Client* client = nullptr;
  // NICs of type l3bridge are bound to OVN logical switch ports (vm/ovn_nics.h) through these
  // endpoints (virtctl's --ovn-nb / --ovs-db: "unix:PATH" or "tcp:HOST:PORT"). An empty
  // northbound endpoint turns OVN off: l3bridge requests then fail before anything runs. An
  // empty OVS endpoint names ports "<vm>-<mac>" instead of after libvirt's iface-id.
  std::string ovn_northbound = {};
  std::string ovs_db = {};
};

// Adds every VirtualMachine operation, its refresh (domain XML → .spec.domain, powerstate,
// status) and its crash settlement to `table`. `deps` must outlive the table.
void addVirtualMachineOperations(lifecycle::OperationTable& table, const VmOperationDeps& deps);

}  // namespace univirt::virtctl
