#include "libvirtwatcher/extra_events.h"

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "core/virt/virt_error.h"

namespace univirt::libvirtwatcher {
namespace {

// What libvirt keeps per registration: the callback and the event name it reports.
struct Registration {
  ExtraEventSubscriptions::Callback callback;
  std::string_view event;
};

void deliver(virDomainPtr domain, void* opaque) {
  // `domain` is borrowed from libvirt for the duration of the call.
  const char* name = virDomainGetName(domain);
  const auto* registration = static_cast<const Registration*>(opaque);
  registration->callback(name != nullptr ? name : "", registration->event);
}

void onReboot(virConnectPtr /*conn*/, virDomainPtr domain, void* opaque) {
  deliver(domain, opaque);
}

void onDevice(virConnectPtr /*conn*/, virDomainPtr domain, const char* /*alias*/, void* opaque) {
  deliver(domain, opaque);
}

void onJobCompleted(virConnectPtr /*conn*/, virDomainPtr domain, virTypedParameterPtr /*params*/,
                    int /*count*/, void* opaque) {
  deliver(domain, opaque);
}

void onAgentLifecycle(virConnectPtr /*conn*/, virDomainPtr domain, int /*state*/, int /*reason*/,
                      void* opaque) {
  deliver(domain, opaque);
}

void freeRegistration(void* opaque) { delete static_cast<Registration*>(opaque); }

// libvirt's generic callback type stands for each event's own signature; the detour through
// void(*)() is the documented way to say so without a cast-function-type warning.
template <typename F>
virConnectDomainEventGenericCallback generic(F* callback) {
  return reinterpret_cast<virConnectDomainEventGenericCallback>(
      reinterpret_cast<void (*)()>(callback));
}

struct EventKind {
  int id;
  std::string_view name;
  virConnectDomainEventGenericCallback callback;
};

}  // namespace

util::Result<ExtraEventSubscriptions> ExtraEventSubscriptions::subscribe(
    const virt::Connection& connection, const Callback& callback) {
  const EventKind kinds[] = {
      {VIR_DOMAIN_EVENT_ID_REBOOT, "Reboot", generic(&onReboot)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, "DeviceAdded", generic(&onDevice)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, "DeviceRemoved", generic(&onDevice)},
      {VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, "JobCompleted", generic(&onJobCompleted)},
      {VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, "AgentLifecycle", generic(&onAgentLifecycle)},
  };
  ExtraEventSubscriptions subscriptions(connection.share());
  for (const EventKind& kind : kinds) {
    auto state = std::make_unique<Registration>(Registration{callback, kind.name});
    const int id = virConnectDomainEventRegisterAny(connection.get(), nullptr, kind.id,
                                                    kind.callback, state.get(), &freeRegistration);
    if (id < 0) {
      // libvirt did not take `state`; the destructor deregisters the ones before.
      return virt::lastError(
          fmt::format("subscribing to {} events on '{}'", kind.name, connection.uri()));
    }
    static_cast<void>(state.release());  // owned by libvirt now, freed by freeRegistration
    subscriptions.callback_ids_.push_back(id);
  }
  return subscriptions;
}

ExtraEventSubscriptions::ExtraEventSubscriptions(virt::ConnectHandle connection)
    : connection_(std::move(connection)) {}

ExtraEventSubscriptions::ExtraEventSubscriptions(ExtraEventSubscriptions&& other) noexcept
    : connection_(std::move(other.connection_)), callback_ids_(std::move(other.callback_ids_)) {
  other.callback_ids_.clear();
}

ExtraEventSubscriptions& ExtraEventSubscriptions::operator=(
    ExtraEventSubscriptions&& other) noexcept {
  if (this != &other) {
    cancel();
    connection_ = std::move(other.connection_);
    callback_ids_ = std::move(other.callback_ids_);
    other.callback_ids_.clear();
  }
  return *this;
}

ExtraEventSubscriptions::~ExtraEventSubscriptions() { cancel(); }

void ExtraEventSubscriptions::cancel() {
  if (connection_) {
    for (int id : callback_ids_) {
      // Fails only for a connection libvirt already tore down, which dropped the callback too.
      static_cast<void>(virConnectDomainEventDeregisterAny(connection_.get(), id));
    }
  }
  callback_ids_.clear();
  connection_.reset();
}

}  // namespace univirt::libvirtwatcher
