#pragma once

// Shared pieces of the network rows (network_operations.cpp: OVN rows, refresh and table;
// network_ovs_rows.cpp: the Open vSwitch rows).

#include <functional>
#include <string>
#include <vector>

#include "core/lifecycle/operation.h"
#include "ovnctl/network_operations.h"
#include "ovnctl/vswitch.h"

namespace univirt::ovnctl::detail {

// What the refresh reads back: dump_l3_network_info of the object's name, dump_l2_network_info
// of the object's name or of the `name` parameter, or nothing (delete_network).
enum class Query { L3, L2OfName, L2OfBridgeParam, Deleted };

// One row before it becomes an OperationSpec (the handler gets the deps at call time).
struct Row {
  const char* key;
  const char* name_field;
  const char* summary;
  std::vector<lifecycle::ParamSpec> params;
  Query query;
  std::function<util::Result<lifecycle::Outcome>(const lifecycle::Invocation&,
                                                 const NetworkOperationDeps&)>
      run;
};

std::vector<Row> rows();
void addOvsRows(std::vector<Row>& out);
lifecycle::Refresh refreshFor(Query query, const NetworkOperationDeps& deps);

util::Result<Vswitch> requireVswitch(const NetworkOperationDeps& deps);
util::Result<lifecycle::Outcome> fromStatus(const util::Status& status, bool deleted = false);
util::Result<lifecycle::Outcome> withVswitch(
    const NetworkOperationDeps& deps, const std::function<util::Status(const Vswitch&)>& body,
    bool deleted = false);

lifecycle::ParamSpec injected(std::string name, std::string what);
lifecycle::ParamSpec text(std::string name, bool required, std::string help);
lifecycle::ParamSpec integer(std::string name, bool required, std::int64_t min, std::int64_t max,
                             std::string help);
lifecycle::ParamSpec flag(std::string name, std::string help);
lifecycle::ParamSpec vlanParam(std::string name, bool required, std::string help);

}  // namespace univirt::ovnctl::detail
