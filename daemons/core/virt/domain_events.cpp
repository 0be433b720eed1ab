#include "core/virt/domain_events.h"

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "core/virt/virt_error.h"

namespace univirt::virt {
namespace {

DomainEventType eventTypeFromLibvirt(int event) {
  switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:
      return DomainEventType::Defined;
    case VIR_DOMAIN_EVENT_UNDEFINED:
      return DomainEventType::Undefined;
    case VIR_DOMAIN_EVENT_STARTED:
      return DomainEventType::Started;
    case VIR_DOMAIN_EVENT_SUSPENDED:
      return DomainEventType::Suspended;
    case VIR_DOMAIN_EVENT_RESUMED:
      return DomainEventType::Resumed;
    case VIR_DOMAIN_EVENT_STOPPED:
      return DomainEventType::Stopped;
    case VIR_DOMAIN_EVENT_SHUTDOWN:
      return DomainEventType::Shutdown;
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
      return DomainEventType::PmSuspended;
    case VIR_DOMAIN_EVENT_CRASHED:
      return DomainEventType::Crashed;
    default:
      return DomainEventType::Unknown;
  }
}

int onLifecycleEvent(virConnectPtr /*conn*/, virDomainPtr domain, int event, int detail,
                     void* opaque) {
  // `domain` is borrowed from libvirt for the duration of the call.
  DomainLifecycleEvent lifecycle_event;
  const char* name = virDomainGetName(domain);
  lifecycle_event.domain = name != nullptr ? name : "";
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(domain, uuid) == 0) {
    lifecycle_event.uuid = uuid;
  }
  lifecycle_event.type = eventTypeFromLibvirt(event);
  lifecycle_event.detail = detail;
  (*static_cast<DomainEventSubscription::Callback*>(opaque))(lifecycle_event);
  return 0;
}

// libvirt frees the callback state itself, once no delivery uses it any more.
void freeCallback(void* opaque) { delete static_cast<DomainEventSubscription::Callback*>(opaque); }

// What libvirt keeps per extra registration: the callback and the event type it reports.
struct ExtraRegistration {
  DomainExtraEventSubscriptions::Callback callback;
  DomainExtraEventType type;
};

void deliverExtra(virDomainPtr domain, void* opaque, std::string detail) {
  // `domain` is borrowed from libvirt for the duration of the call.
  const char* name = virDomainGetName(domain);
  const auto* registration = static_cast<const ExtraRegistration*>(opaque);
  registration->callback(DomainExtraEvent{.domain = name != nullptr ? name : "",
                                          .type = registration->type,
                                          .detail = std::move(detail)});
}

void onReboot(virConnectPtr /*conn*/, virDomainPtr domain, void* opaque) {
  deliverExtra(domain, opaque, {});
}

void onDevice(virConnectPtr /*conn*/, virDomainPtr domain, const char* alias, void* opaque) {
  deliverExtra(domain, opaque, alias != nullptr ? alias : "");
}

void onJobCompleted(virConnectPtr /*conn*/, virDomainPtr domain, virTypedParameterPtr /*params*/,
                    int /*count*/, void* opaque) {
  deliverExtra(domain, opaque, {});
}

void onAgentLifecycle(virConnectPtr /*conn*/, virDomainPtr domain, int state, int /*reason*/,
                      void* opaque) {
  deliverExtra(domain, opaque,
               state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED ? "connected"
                                                                                 : "disconnected");
}

void freeExtraRegistration(void* opaque) { delete static_cast<ExtraRegistration*>(opaque); }

// libvirt's generic callback type stands for each event's own signature; the detour through
// void(*)() is the documented way to say so without a cast-function-type warning.
template <typename F>
virConnectDomainEventGenericCallback generic(F* callback) {
  return reinterpret_cast<virConnectDomainEventGenericCallback>(
      reinterpret_cast<void (*)()>(callback));
}

struct ExtraKind {
  int id;
  DomainExtraEventType type;
  virConnectDomainEventGenericCallback callback;
};

}  // namespace

std::string_view domainEventTypeName(DomainEventType type) {
  switch (type) {
    case DomainEventType::Defined:
      return "Defined";
    case DomainEventType::Undefined:
      return "Undefined";
    case DomainEventType::Started:
      return "Started";
    case DomainEventType::Suspended:
      return "Suspended";
    case DomainEventType::Resumed:
      return "Resumed";
    case DomainEventType::Stopped:
      return "Stopped";
    case DomainEventType::Shutdown:
      return "Shutdown";
    case DomainEventType::PmSuspended:
      return "PmSuspended";
    case DomainEventType::Crashed:
      return "Crashed";
    case DomainEventType::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

std::string_view domainExtraEventTypeName(DomainExtraEventType type) {
  switch (type) {
    case DomainExtraEventType::Reboot:
      return "Reboot";
    case DomainExtraEventType::DeviceAdded:
      return "DeviceAdded";
    case DomainExtraEventType::DeviceRemoved:
      return "DeviceRemoved";
    case DomainExtraEventType::JobCompleted:
      return "JobCompleted";
    case DomainExtraEventType::AgentLifecycle:
      return "AgentLifecycle";
  }
  return "Unknown";
}

util::Result<DomainEventSubscription> DomainEventSubscription::lifecycle(
    const Connection& connection, Callback callback) {
  auto state = std::make_unique<Callback>(std::move(callback));
  int callback_id =
      virConnectDomainEventRegisterAny(connection.get(), nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                       generic(&onLifecycleEvent), state.get(), &freeCallback);
  if (callback_id < 0) {
    // libvirt did not take the state: `state` still owns it.
    return lastError(
        fmt::format("subscribing to domain lifecycle events on '{}'", connection.uri()));
  }
  static_cast<void>(state.release());  // now owned by libvirt, freed through freeCallback
  return DomainEventSubscription(connection.share(), callback_id);
}

DomainEventSubscription::DomainEventSubscription(ConnectHandle connection, int callback_id)
    : connection_(std::move(connection)), callback_id_(callback_id) {}

DomainEventSubscription::DomainEventSubscription(DomainEventSubscription&& other) noexcept
    : connection_(std::move(other.connection_)),
      callback_id_(std::exchange(other.callback_id_, -1)) {}

DomainEventSubscription& DomainEventSubscription::operator=(
    DomainEventSubscription&& other) noexcept {
  if (this != &other) {
    cancel();
    connection_ = std::move(other.connection_);
    callback_id_ = std::exchange(other.callback_id_, -1);
  }
  return *this;
}

DomainEventSubscription::~DomainEventSubscription() { cancel(); }

void DomainEventSubscription::cancel() {
  if (connection_ && callback_id_ >= 0) {
    // Fails only for a connection libvirt already tore down, which dropped the callback too.
    static_cast<void>(virConnectDomainEventDeregisterAny(connection_.get(), callback_id_));
  }
  callback_id_ = -1;
  connection_.reset();
}

util::Result<DomainExtraEventSubscriptions> DomainExtraEventSubscriptions::subscribe(
    const Connection& connection, const Callback& callback) {
  const ExtraKind kinds[] = {
      {VIR_DOMAIN_EVENT_ID_REBOOT, DomainExtraEventType::Reboot, generic(&onReboot)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, DomainExtraEventType::DeviceAdded, generic(&onDevice)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, DomainExtraEventType::DeviceRemoved, generic(&onDevice)},
      {VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, DomainExtraEventType::JobCompleted,
       generic(&onJobCompleted)},
      {VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, DomainExtraEventType::AgentLifecycle,
       generic(&onAgentLifecycle)},
  };
  DomainExtraEventSubscriptions subscriptions(connection.share());
  for (const ExtraKind& kind : kinds) {
    auto state = std::make_unique<ExtraRegistration>(ExtraRegistration{callback, kind.type});
    const int id = virConnectDomainEventRegisterAny(
        connection.get(), nullptr, kind.id, kind.callback, state.get(), &freeExtraRegistration);
    if (id < 0) {
      // libvirt did not take `state`; the destructor deregisters the ones before.
      return lastError(fmt::format("subscribing to domain {} events on '{}'",
                                   domainExtraEventTypeName(kind.type), connection.uri()));
    }
    static_cast<void>(state.release());  // owned by libvirt now, freed by freeExtraRegistration
    subscriptions.callback_ids_.push_back(id);
  }
  return subscriptions;
}

DomainExtraEventSubscriptions::DomainExtraEventSubscriptions(ConnectHandle connection)
    : connection_(std::move(connection)) {}

DomainExtraEventSubscriptions::DomainExtraEventSubscriptions(
    DomainExtraEventSubscriptions&& other) noexcept
    : connection_(std::move(other.connection_)),
      callback_ids_(std::exchange(other.callback_ids_, {})) {}

DomainExtraEventSubscriptions& DomainExtraEventSubscriptions::operator=(
    DomainExtraEventSubscriptions&& other) noexcept {
  if (this != &other) {
    cancel();
    connection_ = std::move(other.connection_);
    callback_ids_ = std::exchange(other.callback_ids_, {});
  }
  return *this;
}

DomainExtraEventSubscriptions::~DomainExtraEventSubscriptions() { cancel(); }

void DomainExtraEventSubscriptions::cancel() {
  if (connection_) {
    for (int id : callback_ids_) {
      // Fails only for a connection libvirt already tore down, which dropped the callback too.
      static_cast<void>(virConnectDomainEventDeregisterAny(connection_.get(), id));
    }
  }
  callback_ids_.clear();
  connection_.reset();
}

}  // namespace univirt::virt
