#include "core/virt/connection.h"

#include <utility>

#include <fmt/format.h>

#include "core/util/check.h"
#include "core/virt/virt_error.h"

namespace univirt::virt {

util::Result<Connection> Connection::open(const std::string& uri, OpenMode mode) {
  silenceLibvirtErrorOutput();
  ConnectHandle handle(mode == OpenMode::ReadOnly ? virConnectOpenReadOnly(uri.c_str())
                                                  : virConnectOpen(uri.c_str()));
  if (!handle) {
    return lastError(fmt::format("opening libvirt connection '{}'", uri));
  }
  return Connection(std::move(handle), uri);
}

Connection::Connection(ConnectHandle handle, std::string uri)
    : handle_(std::move(handle)), uri_(std::move(uri)) {
  UNIVIRT_CHECK(handle_, "a Connection is built only from an open libvirt connection");
}

bool Connection::isAlive() const { return virConnectIsAlive(handle_.get()) == 1; }

ConnectHandle Connection::share() const {
  // Cannot fail for a valid connection pointer, which handle_ is by construction.
  static_cast<void>(virConnectRef(handle_.get()));
  return ConnectHandle(handle_.get());
}

util::Result<Domain> Connection::lookupDomain(const std::string& name) const {
  DomainHandle domain(virDomainLookupByName(handle_.get(), name.c_str()));
  if (!domain) {
    return lastError(fmt::format("looking up domain '{}'", name));
  }
  return Domain(std::move(domain));
}

util::Result<Domain> Connection::lookupDomainByUuid(const std::string& uuid) const {
  DomainHandle domain(virDomainLookupByUUIDString(handle_.get(), uuid.c_str()));
  if (!domain) {
    return lastError(fmt::format("looking up domain with UUID '{}'", uuid));
  }
  return Domain(std::move(domain));
}

util::Result<std::vector<Domain>> Connection::listAllDomains(unsigned int flags) const {
  virDomainPtr* raw = nullptr;
  int count = virConnectListAllDomains(handle_.get(), &raw, flags);
  if (count < 0) {
    return lastError("listing domains");
  }
  std::vector<Domain> domains;
  for (DomainHandle& handle : takeArray<DomainHandle>(raw, count)) {
    domains.emplace_back(std::move(handle));
  }
  return domains;
}

util::Result<Domain> Connection::defineDomain(const std::string& xml) const {
  DomainHandle domain(virDomainDefineXML(handle_.get(), xml.c_str()));
  if (!domain) {
    return lastError("defining a domain");
  }
  return Domain(std::move(domain));
}

util::Result<StoragePool> Connection::lookupStoragePool(const std::string& name) const {
  StoragePoolHandle pool(virStoragePoolLookupByName(handle_.get(), name.c_str()));
  if (!pool) {
    return lastError(fmt::format("looking up storage pool '{}'", name));
  }
  return StoragePool(std::move(pool));
}

util::Result<std::vector<StoragePool>> Connection::listAllStoragePools(unsigned int flags) const {
  virStoragePoolPtr* raw = nullptr;
  int count = virConnectListAllStoragePools(handle_.get(), &raw, flags);
  if (count < 0) {
    return lastError("listing storage pools");
  }
  std::vector<StoragePool> pools;
  for (StoragePoolHandle& handle : takeArray<StoragePoolHandle>(raw, count)) {
    pools.emplace_back(std::move(handle));
  }
  return pools;
}

util::Result<StoragePool> Connection::defineStoragePool(const std::string& xml) const {
  StoragePoolHandle pool(virStoragePoolDefineXML(handle_.get(), xml.c_str(), 0));
  if (!pool) {
    return lastError("defining a storage pool");
  }
  return StoragePool(std::move(pool));
}

util::Result<StoragePool> Connection::createStoragePool(const std::string& xml) const {
  StoragePoolHandle pool(virStoragePoolCreateXML(handle_.get(), xml.c_str(), 0));
  if (!pool) {
    return lastError("creating a storage pool");
  }
  return StoragePool(std::move(pool));
}

util::Result<Network> Connection::lookupNetwork(const std::string& name) const {
  NetworkHandle network(virNetworkLookupByName(handle_.get(), name.c_str()));
  if (!network) {
    return lastError(fmt::format("looking up network '{}'", name));
  }
  return Network(std::move(network));
}

util::Result<std::vector<Network>> Connection::listAllNetworks(unsigned int flags) const {
  virNetworkPtr* raw = nullptr;
  int count = virConnectListAllNetworks(handle_.get(), &raw, flags);
  if (count < 0) {
    return lastError("listing networks");
  }
  std::vector<Network> networks;
  for (NetworkHandle& handle : takeArray<NetworkHandle>(raw, count)) {
    networks.emplace_back(std::move(handle));
  }
  return networks;
}

util::Result<Network> Connection::defineNetwork(const std::string& xml) const {
  NetworkHandle network(virNetworkDefineXML(handle_.get(), xml.c_str()));
  if (!network) {
    return lastError("defining a network");
  }
  return Network(std::move(network));
}

util::Result<Network> Connection::createNetwork(const std::string& xml) const {
  NetworkHandle network(virNetworkCreateXML(handle_.get(), xml.c_str()));
  if (!network) {
    return lastError("creating a network");
  }
  return Network(std::move(network));
}

}  // namespace univirt::virt
