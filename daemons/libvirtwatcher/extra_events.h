#pragma once

// ExtraEventSubscriptions: the libvirt domain events besides lifecycle that change what a
// VirtualMachine shows: reboot, device added/removed (.spec.domain devices), job completed
// (block jobs, migrations, dumps) and guest-agent connect/disconnect (the channel's state in the
// live XML). core/virt/domain_events.h offers lifecycle events only, so the others are
// registered here, through the same virConnectDomainEventRegisterAny, for as long as this
// object lives. Callbacks run on the EventLoop thread and must only queue work.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/virt/connection.h"
#include "core/virt/handles.h"

namespace univirt::libvirtwatcher {

class ExtraEventSubscriptions {
 public:
  // `domain` is the domain's name; `event` one of "Reboot", "DeviceAdded", "DeviceRemoved",
  // "JobCompleted", "AgentLifecycle".
  using Callback = std::function<void(const std::string& domain, std::string_view event)>;

  // Registers every extra event on `connection`; fails (and registers nothing) when libvirt
  // refuses one.
  static util::Result<ExtraEventSubscriptions> subscribe(const virt::Connection& connection,
                                                         const Callback& callback);

  ExtraEventSubscriptions(ExtraEventSubscriptions&& other) noexcept;
  ExtraEventSubscriptions& operator=(ExtraEventSubscriptions&& other) noexcept;
  ExtraEventSubscriptions(const ExtraEventSubscriptions&) = delete;
  ExtraEventSubscriptions& operator=(const ExtraEventSubscriptions&) = delete;
  ~ExtraEventSubscriptions();

 private:
  explicit ExtraEventSubscriptions(virt::ConnectHandle connection);
  void cancel();

  virt::ConnectHandle connection_;
  std::vector<int> callback_ids_;
};

}  // namespace univirt::libvirtwatcher
