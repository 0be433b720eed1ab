#include "core/virt/network.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {

Network::Network(NetworkHandle handle) : handle_(std::move(handle)) {
  UNIVIRT_CHECK(handle_, "a Network is built only from a successful lookup or define");
  const char* name = virNetworkGetName(handle_.get());
  name_ = name != nullptr ? name : "";
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virNetworkGetUUIDString(handle_.get(), uuid) == 0) {
    uuid_ = uuid;
  }
}

util::Result<bool> Network::isActive() const {
  int active = virNetworkIsActive(handle_.get());
  if (active < 0) {
    return lastError(fmt::format("checking whether network '{}' is active", name_));
  }
  return active == 1;
}

util::Result<bool> Network::isPersistent() const {
  int persistent = virNetworkIsPersistent(handle_.get());
  if (persistent < 0) {
    return lastError(fmt::format("checking whether network '{}' is persistent", name_));
  }
  return persistent == 1;
}

util::Result<std::string> Network::xml(unsigned int flags) const {
  char* xml = virNetworkGetXMLDesc(handle_.get(), flags);
  if (xml == nullptr) {
    return lastError(fmt::format("reading XML of network '{}'", name_));
  }
  return takeString(xml);
}

util::Status Network::start() {
  if (virNetworkCreate(handle_.get()) < 0) {
    return lastError(fmt::format("starting network '{}'", name_));
  }
  return util::ok();
}

util::Status Network::destroy() {
  if (virNetworkDestroy(handle_.get()) < 0) {
    return lastError(fmt::format("stopping network '{}'", name_));
  }
  return util::ok();
}

util::Status Network::undefine() {
  if (virNetworkUndefine(handle_.get()) < 0) {
    return lastError(fmt::format("undefining network '{}'", name_));
  }
  return util::ok();
}

}  // namespace univirt::virt
