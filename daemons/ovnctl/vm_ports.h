#pragma once

// Binding a VM NIC to the network, for plugNIC/unplugNIC, createAndStartVMFromISO's NICs and
// libvirtwatcher's VM start/stop (crd-contract §3.6a bind-swport/unbind-swport and §6).
//
//  - l3bridge: a logical switch port on `switch_name` with addresses "<mac> <ip|dynamic>" and
//    the switch's DHCP options. The port records who owns it in external_ids
//    (univirt-mac, univirt-domain, univirt-nic-type), so after a daemon restart a bind finds
//    the existing port (no duplicate) and an unbind finds what to remove (nothing lost). A bind
//    with a domain also records the binding on the switch itself (external_ids
//    univirt-vm-nic-<mac without colons> = "<domain> <ip|dynamic>"), so the port can be
//    detached while the VM is stopped (UnbindMode::KeepRecord, as upstream's unbind-swport on
//    a stop) and bound again from that record when it starts. When
//    the OVS database is known and holds the NIC's interface (libvirt's
//    <virtualport type='openvswitch'>), the port is named after its external_ids:iface-id
//    (set to "<domain>-<mac without colons>" if empty), which is what ovn-controller binds.
//  - l2bridge: the VLAN tag of the NIC's OVS port (`vlan`; none: untagged).
//  - bridge: a plain Linux bridge; nothing to do in OVN/OVS.
//
// Every call is idempotent: binding what is already bound changes nothing, unbinding what is
// not bound is not an error (it reports 0 ports removed).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "ovnctl/northbound.h"
#include "ovnctl/vswitch.h"

namespace univirt::ovnctl {

struct NicBinding {
  std::string domain = {};  // the VM (libvirt domain name); may be empty for bindSwPort requests
  std::string type = {};    // "l3bridge", "l2bridge" or "bridge"
  std::string switch_name = {};
  std::string ip = {};  // l3bridge: a fixed address in the switch's subnet, or "dynamic"/empty
  std::string mac = {};
  std::optional<std::int64_t> vlan = {};  // l2bridge
};

struct BindResult {
  bool changed = false;   // false: the binding was already in place
  std::string port = {};  // l3bridge: the logical switch port; l2bridge: the OVS port
};

struct RecordedBinding {
  std::string domain = {};
  std::string mac = {};
  std::string switch_name = {};
  std::string port = {};  // empty while detached
  std::string ip = {};    // "dynamic" or the fixed address
  bool attached = true;   // false: only the switch's record is left (the VM is stopped)
};

// The switch's external_ids key recording a VM NIC binding: "univirt-vm-nic-525400123456".
inline constexpr const char* kNicRecordPrefix = "univirt-vm-nic-";

enum class UnbindMode {
  Remove,      // the port and its record go (unplugNIC, deleteVM, unbindSwPort)
  KeepRecord,  // only the port goes; bindings() still lists it, detached (VM stopped)
};

class VmPorts {
 public:
  // `vswitch` may be null: l3bridge ports are then named "<domain>-<mac>" and l2bridge binds
  // fail with a clear error.
  VmPorts(const Northbound& northbound, const Vswitch* vswitch)
      : northbound_(northbound), vswitch_(vswitch) {}

  util::Result<BindResult> bind(const NicBinding& nic) const;
  // Removes every logical switch port of `mac` (univirt's, and upstream's found by address)
  // and, with UnbindMode::Remove, the switch's record of it; for l2bridge clears the OVS port's
  // tag. Returns how many ports were removed or tags cleared (a record without a port counts
  // as one).
  util::Result<int> unbind(const std::string& mac, const std::string& type = "l3bridge",
                           UnbindMode mode = UnbindMode::Remove) const;
  // The l3bridge bindings recorded for `domain` (empty: all univirt bindings), attached
  // (a port exists) or detached (only the switch's record), ordered by MAC.
  util::Result<std::vector<RecordedBinding>> bindings(const std::string& domain) const;

 private:
  util::Result<BindResult> bindLogicalPort(const NicBinding& nic, const std::string& mac) const;

  const Northbound& northbound_;
  const Vswitch* vswitch_;
};

// VmPorts with its own database clients, for callers that only know the endpoints (virtctl's
// plugNIC/unplugNIC, libvirtwatcher's start/stop): the same `--ovn-nb` / `--ovs-db` values as
// NetworkOperationDeps; an empty `ovs_db` means no OVS database.
class VmNetwork {
 public:
  static util::Result<VmNetwork> open(const std::string& northbound, const std::string& ovs_db);

  util::Result<BindResult> bind(const NicBinding& nic) const { return ports().bind(nic); }
  util::Result<int> unbind(const std::string& mac, const std::string& type = "l3bridge",
                           UnbindMode mode = UnbindMode::Remove) const {
    return ports().unbind(mac, type, mode);
  }
  util::Result<std::vector<RecordedBinding>> bindings(const std::string& domain) const {
    return ports().bindings(domain);
  }

 private:
  VmNetwork(Northbound northbound, std::optional<Vswitch> vswitch)
      : northbound_(std::move(northbound)), vswitch_(std::move(vswitch)) {}
  VmPorts ports() const { return VmPorts(northbound_, vswitch_ ? &*vswitch_ : nullptr); }

  Northbound northbound_;
  std::optional<Vswitch> vswitch_;
};

}  // namespace univirt::ovnctl
