#pragma once

// DomainEventSubscription: receives libvirt domain lifecycle events (defined, started,
// stopped, ...) for as long as it lives. DomainExtraEventSubscriptions: the other domain events
// that change what a domain looks like (reboot, device added/removed, job completed, guest
// agent connected/disconnected). Events arrive on the EventLoop thread, so an EventLoop must be
// running; the callbacks must be quick (queue the work, don't do it there).

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/virt/connection.h"
#include "core/virt/handles.h"

namespace univirt::virt {

// virDomainEventType, by its meaning.
enum class DomainEventType {
  Defined,
  Undefined,
  Started,
  Suspended,
  Resumed,
  Stopped,
  Shutdown,
  PmSuspended,
  Crashed,
  Unknown,
};

std::string_view domainEventTypeName(DomainEventType type);

struct DomainLifecycleEvent {
  std::string domain = {};  // the domain's name
  std::string uuid = {};
  DomainEventType type = DomainEventType::Unknown;
  int detail = 0;  // the matching virDomainEvent*DetailType value
};

class DomainEventSubscription {
 public:
  using Callback = std::function<void(const DomainLifecycleEvent&)>;

  // Registers `callback` for lifecycle events of every domain on `connection`. The
  // subscription keeps its own reference to the libvirt connection.
  // libvirt refuses a second registration of the same C callback on one connection, so one
  // lifecycle subscription per connection may exist at a time: a second one fails with
  // InvalidArgument. A component that needs several listeners fans out from its callback.
  static util::Result<DomainEventSubscription> lifecycle(const Connection& connection,
                                                         Callback callback);

  DomainEventSubscription(DomainEventSubscription&& other) noexcept;
  DomainEventSubscription& operator=(DomainEventSubscription&& other) noexcept;
  DomainEventSubscription(const DomainEventSubscription&) = delete;
  DomainEventSubscription& operator=(const DomainEventSubscription&) = delete;
  // Deregisters. An event being delivered at that moment on the loop thread may still finish
  // after the destructor returns; the callback's own state is freed by libvirt after that.
  ~DomainEventSubscription();

 private:
  DomainEventSubscription(ConnectHandle connection, int callback_id);
  void cancel();

  ConnectHandle connection_;
  int callback_id_ = -1;
};

// The domain events besides lifecycle, by their meaning.
enum class DomainExtraEventType {
  Reboot,          // the guest reset (QEMU reports a reset, also from virDomainReset)
  DeviceAdded,     // a hot-plugged device is in place
  DeviceRemoved,   // a hot-unplugged device is gone
  JobCompleted,    // an async job ended: migration, live dump, save
  AgentLifecycle,  // the guest-agent channel connected or disconnected
};

std::string_view domainExtraEventTypeName(DomainExtraEventType type);

struct DomainExtraEvent {
  std::string domain = {};  // the domain's name
  DomainExtraEventType type = DomainExtraEventType::Reboot;
  // DeviceAdded/DeviceRemoved: the device alias; AgentLifecycle: "connected" or
  // "disconnected"; otherwise empty.
  std::string detail = {};
};

class DomainExtraEventSubscriptions {
 public:
  using Callback = std::function<void(const DomainExtraEvent&)>;

  // Registers every DomainExtraEventType for every domain on `connection`; fails (and keeps
  // nothing registered) when libvirt refuses one.
  static util::Result<DomainExtraEventSubscriptions> subscribe(const Connection& connection,
                                                               const Callback& callback);

  DomainExtraEventSubscriptions(DomainExtraEventSubscriptions&& other) noexcept;
  DomainExtraEventSubscriptions& operator=(DomainExtraEventSubscriptions&& other) noexcept;
  DomainExtraEventSubscriptions(const DomainExtraEventSubscriptions&) = delete;
  DomainExtraEventSubscriptions& operator=(const DomainExtraEventSubscriptions&) = delete;
  ~DomainExtraEventSubscriptions();

 private:
  explicit DomainExtraEventSubscriptions(ConnectHandle connection);
  void cancel();

  ConnectHandle connection_;
  std::vector<int> callback_ids_;
};

}  // namespace univirt::virt
