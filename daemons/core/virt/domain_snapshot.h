#pragma once

// DomainSnapshot: one snapshot of a domain (internal or external, as its XML said).

#include <string>

#include "core/util/result.h"
#include "core/virt/handles.h"

namespace univirt::virt {

class DomainSnapshot {
 public:
  // `handle` must not be empty; `domain_name` names the owner in error messages.
  DomainSnapshot(DomainSnapshotHandle handle, std::string domain_name);

  virDomainSnapshotPtr get() const { return handle_.get(); }
  const std::string& name() const { return name_; }
  const std::string& domainName() const { return domain_name_; }

  util::Result<std::string> xml(unsigned int flags = 0) const;
  util::Result<bool> isCurrent() const;
  // virDomainRevertToSnapshot; `flags` are VIR_DOMAIN_SNAPSHOT_REVERT_*.
  util::Status revert(unsigned int flags = 0);
  // virDomainSnapshotDelete; `flags` are VIR_DOMAIN_SNAPSHOT_DELETE_*. The handle stays valid
  // but names nothing afterwards.
  util::Status remove(unsigned int flags = 0);

 private:
  DomainSnapshotHandle handle_;
  std::string name_;
  std::string domain_name_;
};

}  // namespace univirt::virt
