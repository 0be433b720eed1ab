#pragma once

// Network: one libvirt virtual network.

#include <string>

#include "core/util/result.h"
#include "core/virt/handles.h"

namespace univirt::virt {

class Network {
 public:
  // `handle` must not be empty.
  explicit Network(NetworkHandle handle);

  virNetworkPtr get() const { return handle_.get(); }
  const std::string& name() const { return name_; }
  const std::string& uuid() const { return uuid_; }

  util::Result<bool> isActive() const;
  util::Result<bool> isPersistent() const;
  util::Result<std::string> xml(unsigned int flags = 0) const;

  // virNetworkCreate: activates a defined network.
  util::Status start();
  util::Status destroy();
  util::Status undefine();

 private:
  NetworkHandle handle_;
  std::string name_;
  std::string uuid_;
};

}  // namespace univirt::virt
