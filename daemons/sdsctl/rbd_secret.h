#pragma once

// cephx for libvirt's rbd pools: when the cluster requires cephx, libvirtd (starting the pool)
// and QEMU (opening a disk of it) authenticate with a libvirt secret of usage type `ceph` that
// holds the client's key, named in the pool XML as
//   <source>…<auth type='ceph' username='admin'><secret uuid='…'/></auth></source>.
// There is one secret per pool (usage name "univirt rbd pool <pool>"): made or refreshed
// idempotently when the pool is created, removed with the pool.

#include <optional>
#include <string>

#include "core/util/result.h"
#include "core/virt/connection.h"
#include "sdsctl/rbd_cluster.h"

namespace univirt::sdsctl {

struct CephAuth {
  std::string username = {};     // client id without "client."
  std::string secret_uuid = {};  // the libvirt secret
};

// The secret's usage name for pool `pool`.
std::string poolSecretUsage(const std::string& pool);

// Defines (or finds) the pool's secret and sets its value to `key`. nullopt when the libvirt
// driver has no secrets at all (libvirt's test driver, which never connects to Ceph anyway).
util::Result<std::optional<CephAuth>> ensurePoolSecret(virt::Connection& connection,
                                                       const std::string& pool,
                                                       const CephxKey& key);
// Undefines the pool's secret; ok when there is none.
util::Status removePoolSecret(virt::Connection& connection, const std::string& pool);

// `pool_xml` with <auth> added to its <source>.
util::Result<std::string> withPoolAuth(const std::string& pool_xml, const CephAuth& auth);

// `pool_xml` as libvirt must define it: with <auth> and the pool's secret when `cluster`
// uses cephx, unchanged when it does not (or the driver has no secrets).
util::Result<std::string> withCephAuth(virt::Connection& connection, RbdCluster& cluster,
                                       const std::string& pool, const std::string& pool_xml);

// The key bytes of a base64 key ("AQ…=="); InvalidArgument when it is not base64.
util::Result<std::string> decodeBase64(std::string_view text);

}  // namespace univirt::sdsctl
