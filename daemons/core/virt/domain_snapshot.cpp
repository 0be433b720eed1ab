#include "core/virt/domain_snapshot.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {

DomainSnapshot::DomainSnapshot(DomainSnapshotHandle handle, std::string domain_name)
    : handle_(std::move(handle)), domain_name_(std::move(domain_name)) {
  UNIVIRT_CHECK(handle_, "a DomainSnapshot is built only from a successful create or lookup");
  const char* name = virDomainSnapshotGetName(handle_.get());
  name_ = name != nullptr ? name : "";
}

util::Result<std::string> DomainSnapshot::xml(unsigned int flags) const {
  char* xml = virDomainSnapshotGetXMLDesc(handle_.get(), flags);
  if (xml == nullptr) {
    return lastError(
        fmt::format("reading XML of snapshot '{}' of domain '{}'", name_, domain_name_));
  }
  return takeString(xml);
}

util::Result<bool> DomainSnapshot::isCurrent() const {
  int current = virDomainSnapshotIsCurrent(handle_.get(), 0);
  if (current < 0) {
    return lastError(fmt::format("checking whether snapshot '{}' of domain '{}' is current", name_,
                                 domain_name_));
  }
  return current == 1;
}

util::Status DomainSnapshot::revert(unsigned int flags) {
  if (virDomainRevertToSnapshot(handle_.get(), flags) < 0) {
    return lastError(fmt::format("reverting domain '{}' to snapshot '{}'", domain_name_, name_));
  }
  return util::ok();
}

util::Status DomainSnapshot::remove(unsigned int flags) {
  if (virDomainSnapshotDelete(handle_.get(), flags) < 0) {
    return lastError(fmt::format("deleting snapshot '{}' of domain '{}'", name_, domain_name_));
  }
  return util::ok();
}

}  // namespace univirt::virt
