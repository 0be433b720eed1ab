// ACLs (create/modify/delete-acl) and QoS rules (create/modify/delete-qos), crd-contract
// §3.6a.3. A rule is identified, as upstream, by switch + direction + priority + match.

#include <algorithm>

#include <fmt/format.h>

#include "ovnctl/detail/nb_rows.h"
#include "ovnctl/northbound.h"
#include "ovnctl/validation.h"

namespace univirt::ovnctl {
namespace {

using detail::kAclTable;
using detail::kQosTable;
using detail::kSwitchTable;
using ovsdb::Json;
using util::Error;
using util::ErrorCode;

constexpr std::int64_t kMaxPriority = 32767;

std::string directionName(Direction direction) {
  return direction == Direction::From ? "from-lport" : "to-lport";
}

util::Status checkPriority(std::int64_t priority) {
  if (priority < 0 || priority > kMaxPriority) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("priority '{}' is not between 0 and {}", priority, kMaxPriority)};
  }
  return util::ok();
}

struct AclTarget {
  detail::SwitchRow sw = {};
  std::string mac = {};             // normalised vmmac
  std::string match = {};           // the match univirt writes
  std::string upstream_match = {};  // kubeovn-adm's form, so its ACLs can be modified and deleted
  std::vector<detail::RuleRow> acls = {};
};

util::Result<AclTarget> aclTarget(const OvsdbClient& client, const AclRequest& request) {
  auto mac = parseMac(request.vm_mac, "vmmac");
  if (!mac) {
    return mac.error();
  }
  if (auto valid = checkMatch(request.rule, "rule"); !valid) {
    return valid.error();
  }
  if (auto valid = checkPriority(request.priority); !valid) {
    return valid.error();
  }
  auto sw = detail::requireSwitch(client, request.switch_name, "swName");
  if (!sw) {
    return sw.error();
  }
  auto ports = detail::portsOf(client, *sw);
  if (!ports) {
    return ports.error();
  }
  const auto port = std::find_if(ports->begin(), ports->end(),
                                 [&](const auto& candidate) { return candidate.mac() == *mac; });
  if (port == ports->end()) {
    return Error{ErrorCode::NotFound,
                 fmt::format("no port with MAC '{}' on logical switch '{}'; nothing was changed",
                             *mac, request.switch_name)};
  }
  const std::string side = request.direction == Direction::From ? "inport" : "outport";
  AclTarget target{
      .sw = *sw,
      // Parentheses keep a rule with "||" scoped to the port.
      .match = fmt::format("{} == \"{}\" && ({})", side, port->name, request.rule),
      .upstream_match = fmt::format("{} == \"{}\" && {}", side, port->name, request.rule)};
  auto rows = detail::rowsByUuid(client, kAclTable, sw->acls);
  if (!rows) {
    return rows.error();
  }
  for (const auto& row : *rows) {
    target.acls.push_back(detail::ruleFrom(row));
  }
  return target;
}

const detail::RuleRow* findAcl(const AclTarget& target, const AclRequest& request) {
  const auto it = std::find_if(target.acls.begin(), target.acls.end(), [&](const auto& acl) {
    return acl.direction == directionName(request.direction) && acl.priority == request.priority &&
           (acl.match == target.match || acl.match == target.upstream_match);
  });
  return it == target.acls.end() ? nullptr : &*it;
}

Error aclNotFound(const AclRequest& request) {
  return Error{ErrorCode::NotFound,
               fmt::format("logical switch '{}' has no {} ACL of priority {} for MAC '{}' with "
                           "rule '{}'; nothing was changed",
                           request.switch_name, directionName(request.direction), request.priority,
                           request.vm_mac, request.rule)};
}

util::Status checkAction(const std::string& action) {
  if (action != "allow-related" && action != "drop") {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("operator '{}' is not allow or drop", action)};
  }
  return util::ok();
}

struct QosTarget {
  detail::SwitchRow sw = {};
  std::vector<detail::RuleRow> rules = {};
};

util::Result<QosTarget> qosTarget(const OvsdbClient& client, const QosRequest& request) {
  if (auto valid = checkMatch(request.rule, "rule"); !valid) {
    return valid.error();
  }
  if (auto valid = checkPriority(request.priority); !valid) {
    return valid.error();
  }
  for (const auto& [value, name] :
       {std::pair{request.rate, "rate"}, std::pair{request.burst, "burst"}}) {
    if (value && (*value < 1 || *value > 4294967295LL)) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("{} '{}' is not between 1 and 4294967295 (kbps)", name, *value)};
    }
  }
  auto sw = detail::requireSwitch(client, request.switch_name, "swName");
  if (!sw) {
    return sw.error();
  }
  QosTarget target{.sw = *sw};
  auto rows = detail::rowsByUuid(client, kQosTable, sw->qos_rules);
  if (!rows) {
    return rows.error();
  }
  for (const auto& row : *rows) {
    target.rules.push_back(detail::ruleFrom(row));
  }
  return target;
}

const detail::RuleRow* findQos(const QosTarget& target, const QosRequest& request) {
  const auto it = std::find_if(target.rules.begin(), target.rules.end(), [&](const auto& rule) {
    return rule.direction == directionName(request.direction) &&
           rule.priority == request.priority && rule.match == request.rule;
  });
  return it == target.rules.end() ? nullptr : &*it;
}

Json bandwidth(const QosRequest& request) {
  Json pairs = Json::array();
  if (request.burst) {
    pairs.push_back(Json::array({"burst", *request.burst}));
  }
  if (request.rate) {
    pairs.push_back(Json::array({"rate", *request.rate}));
  }
  return Json::array({"map", pairs});
}

Error qosNotFound(const QosRequest& request) {
  return Error{ErrorCode::NotFound,
               fmt::format("logical switch '{}' has no {} QoS rule of priority {} with rule '{}'; "
                           "nothing was changed",
                           request.switch_name, directionName(request.direction), request.priority,
                           request.rule)};
}

Json mutateSwitch(const detail::SwitchRow& sw, const char* column, const char* mutator,
                  Json value) {
  return ovsdb::mutate(
      kSwitchTable, ovsdb::byUuid(sw.uuid),
      Json::array({ovsdb::mutation(column, mutator, ovsdb::set({std::move(value)}))}));
}

util::Status finish(const OvsdbClient& client, const Json& operations, std::string what) {
  auto written = detail::write(client, operations, what);
  return written ? util::ok() : util::Status(written.error());
}

}  // namespace

util::Status Northbound::addAcl(const AclRequest& request) const {
  if (auto valid = checkAction(request.action); !valid) {
    return valid;
  }
  auto target = aclTarget(client_, request);
  if (!target) {
    return target.error();
  }
  if (findAcl(*target, request) != nullptr) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("logical switch '{}' already has this ACL ({} priority {} '{}'); "
                             "use modifyACL to change its operator",
                             request.switch_name, directionName(request.direction),
                             request.priority, target->match)};
  }
  const Json operations = Json::array(
      {ovsdb::insert(
           kAclTable,
           {{"direction", directionName(request.direction)},
            {"priority", request.priority},
            {"match", target->match},
            {"action", request.action},
            {"external_ids", ovsdb::map({{kMacKey, target->mac}, {kRuleKey, request.rule}})}},
           "acl"),
       mutateSwitch(target->sw, "acls", "insert", ovsdb::namedUuid("acl"))});
  return finish(client_, operations,
                fmt::format("adding an ACL to logical switch '{}'", request.switch_name));
}

util::Status Northbound::modifyAcl(const AclRequest& request) const {
  if (auto valid = checkAction(request.action); !valid) {
    return valid;
  }
  auto target = aclTarget(client_, request);
  if (!target) {
    return target.error();
  }
  const auto* acl = findAcl(*target, request);
  if (acl == nullptr) {
    return aclNotFound(request);
  }
  // One update instead of upstream's delete-then-create, so a failure cannot lose the ACL.
  return finish(client_,
                Json::array({ovsdb::update(kAclTable, ovsdb::byUuid(acl->uuid),
                                           {{"action", request.action}})}),
                fmt::format("modifying an ACL of logical switch '{}'", request.switch_name));
}

util::Status Northbound::deleteAcl(const AclRequest& request) const {
  auto target = aclTarget(client_, request);
  if (!target) {
    return target.error();
  }
  const auto* acl = findAcl(*target, request);
  if (acl == nullptr) {
    return aclNotFound(request);
  }
  return finish(client_,
                Json::array({mutateSwitch(target->sw, "acls", "delete", ovsdb::uuid(acl->uuid))}),
                fmt::format("deleting an ACL of logical switch '{}'", request.switch_name));
}

util::Status Northbound::setQos(const QosRequest& request) const {
  if (!request.rate) {
    return Error{ErrorCode::InvalidArgument, "rate is required"};
  }
  auto target = qosTarget(client_, request);
  if (!target) {
    return target.error();
  }
  if (findQos(*target, request) != nullptr) {
    return Error{ErrorCode::AlreadyExists,
                 fmt::format("logical switch '{}' already has this QoS rule ({} priority {} '{}'); "
                             "use modifyQoS",
                             request.switch_name, directionName(request.direction),
                             request.priority, request.rule)};
  }
  const Json operations =
      Json::array({ovsdb::insert(kQosTable,
                                 {{"direction", directionName(request.direction)},
                                  {"priority", request.priority},
                                  {"match", request.rule},
                                  {"bandwidth", bandwidth(request)}},
                                 "qos"),
                   mutateSwitch(target->sw, "qos_rules", "insert", ovsdb::namedUuid("qos"))});
  return finish(client_, operations,
                fmt::format("adding a QoS rule to logical switch '{}'", request.switch_name));
}

util::Status Northbound::modifyQos(const QosRequest& request) const {
  if (!request.rate) {
    return Error{ErrorCode::InvalidArgument, "rate is required"};
  }
  auto target = qosTarget(client_, request);
  if (!target) {
    return target.error();
  }
  const auto* rule = findQos(*target, request);
  if (rule == nullptr) {
    return qosNotFound(request);
  }
  return finish(client_,
                Json::array({ovsdb::update(kQosTable, ovsdb::byUuid(rule->uuid),
                                           {{"bandwidth", bandwidth(request)}})}),
                fmt::format("modifying a QoS rule of logical switch '{}'", request.switch_name));
}

util::Status Northbound::unsetQos(const QosRequest& request) const {
  auto target = qosTarget(client_, request);
  if (!target) {
    return target.error();
  }
  const auto* rule = findQos(*target, request);
  if (rule == nullptr) {
    return qosNotFound(request);
  }
  return finish(
      client_,
      Json::array({mutateSwitch(target->sw, "qos_rules", "delete", ovsdb::uuid(rule->uuid))}),
      fmt::format("deleting a QoS rule of logical switch '{}'", request.switch_name));
}

}  // namespace univirt::ovnctl
