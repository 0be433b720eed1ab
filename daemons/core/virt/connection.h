#pragma once

// Connection: one open libvirt connection (qemu:///system, test:///default, ...) and the
// typed lookups and defines univirt needs. Each method is one libvirt call; failures return
// util::Error with libvirt's message (virt_error.h). libvirt connections are thread-safe, so
// one Connection serves every worker thread.
//
// A Connection does not reconnect: ReconnectingConnection owns one at a time and replaces it
// when libvirtd goes away. Objects it returns (Domain, StoragePool, ...) keep the underlying
// connection alive by themselves.

#include <string>
#include <vector>

#include "core/util/result.h"
#include "core/virt/domain.h"
#include "core/virt/handles.h"
#include "core/virt/network.h"
#include "core/virt/storage_pool.h"

namespace univirt::virt {

enum class OpenMode {
  ReadWrite,
  // virConnectOpenReadOnly: enough for watchers and monitors; writes fail PermissionDenied.
  ReadOnly,
};

class Connection {
 public:
  static util::Result<Connection> open(const std::string& uri, OpenMode mode = OpenMode::ReadWrite);

  // `handle` must not be empty.
  Connection(ConnectHandle handle, std::string uri);

  virConnectPtr get() const { return handle_.get(); }
  // The URI this connection was opened with.
  const std::string& uri() const { return uri_; }
  // False once libvirt noticed the peer is gone (remote drivers only; local ones stay alive).
  bool isAlive() const;
  // A second owner of the same libvirt connection (virConnectRef), for objects that must
  // unregister something on it later (event subscriptions).
  ConnectHandle share() const;

  // Domains.
  util::Result<Domain> lookupDomain(const std::string& name) const;
  util::Result<Domain> lookupDomainByUuid(const std::string& uuid) const;
  // `flags` are VIR_CONNECT_LIST_DOMAINS_* (0 = all).
  util::Result<std::vector<Domain>> listAllDomains(unsigned int flags = 0) const;
  // virDomainDefineXML: a persistent domain, not started. Redefining the same name and UUID
  // updates the definition.
  util::Result<Domain> defineDomain(const std::string& xml) const;

  // Storage pools.
  util::Result<StoragePool> lookupStoragePool(const std::string& name) const;
  util::Result<std::vector<StoragePool>> listAllStoragePools(unsigned int flags = 0) const;
  // virStoragePoolDefineXML: persistent, inactive until StoragePool::start().
  util::Result<StoragePool> defineStoragePool(const std::string& xml) const;
  // virStoragePoolCreateXML: transient and active at once.
  util::Result<StoragePool> createStoragePool(const std::string& xml) const;

  // Networks.
  util::Result<Network> lookupNetwork(const std::string& name) const;
  util::Result<std::vector<Network>> listAllNetworks(unsigned int flags = 0) const;
  util::Result<Network> defineNetwork(const std::string& xml) const;
  util::Result<Network> createNetwork(const std::string& xml) const;

 private:
  ConnectHandle handle_;
  std::string uri_;
};

}  // namespace univirt::virt
