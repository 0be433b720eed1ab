#pragma once

// The VirtualMachineNetwork rows of the operation table (crd-contract §3.6/§3.6a): every
// kubeovn-adm operation key with upstream's names, name fields and parameters, carried out over
// OVSDB on the OVN northbound database and the local Open_vSwitch database (northbound.h,
// vswitch.h). The refresh writes upstream's shape: .spec.data (dump_l3_network_info or
// dump_l2_network_info), .spec.type l3network/l2network, .spec.nodeName, status Ready; the
// delete operations remove the object. virtctl registers these rows next to the storage rows;
// the univirt-ovnctl CLI runs the same rows without an API server.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "core/lifecycle/operation_table.h"
#include "core/util/config.h"

namespace univirt::ovnctl {

inline constexpr const char* kNetworkKind = "VirtualMachineNetwork";
inline constexpr const char* kDefaultNorthbound = "unix:/var/run/ovn/ovnnb_db.sock";
inline constexpr const char* kDefaultOvsDb = "unix:/var/run/openvswitch/db.sock";

struct NetworkOperationDeps {
  std::string northbound = kDefaultNorthbound;  // unix:PATH or tcp:HOST:PORT
  std::string ovs_db = kDefaultOvsDb;           // empty: no OVS side (bridge ops fail clearly)
  std::string node_name = {};                   // .spec.nodeName and the localnet port name
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// Adds every network row. `deps` must outlive the table.
void addNetworkOperations(lifecycle::OperationTable& table, const NetworkOperationDeps& deps);

// The upstream kubeovn-adm sub-command of a row ("create-switch" for createSwitch); empty if
// none.
std::string upstreamCommand(std::string_view operation);

// virtctl's options for the endpoints: ovn-nb (--ovn-nb, UNIVIRT_OVN_NB) and ovs-db
// (--ovs-db, UNIVIRT_OVS_DB).
std::span<const util::ConfigOption> networkConfigOptions();

}  // namespace univirt::ovnctl
