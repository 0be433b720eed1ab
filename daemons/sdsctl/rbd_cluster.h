#pragma once

// The connection to a Ceph cluster for RBD pools: librados/librbd in process (C++ API), with
// lifetimes tied to objects — RbdCluster owns the librados::Rados handle (shut down with the
// last holder), an IoCtx is per Ceph pool, a librbd::Image closes itself. Every call that can
// fail returns util::Result with a sentence naming the pool or image and the errno text.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rados/librados.hpp>
#include <rbd/librbd.hpp>

#include "core/util/result.h"
#include "sdsctl/rbd_settings.h"

namespace univirt::sdsctl {

// A librados/librbd return code (negative errno) as an Error; `what` says what was done
// ("creating RBD image 'rbd/disk1'").
util::Error cephError(int code, std::string_view what);

struct RbdPoolUsage {
  std::uint64_t capacity = 0;    // raw cluster size
  std::uint64_t allocation = 0;  // bytes stored in the pool
  std::uint64_t available = 0;   // raw cluster space left
};

// The cephx identity of this client, for libvirt (its rbd pools and QEMU authenticate with a
// libvirt secret holding the key).
struct CephxKey {
  std::string user = {};        // the client id without "client." ("admin")
  std::string key_base64 = {};  // the secret key as keyrings write it
};

class RbdCluster {
 public:
  // A new connection. Fails with a sentence naming the conf file when the monitors do not
  // answer within the timeout.
  static util::Result<std::shared_ptr<RbdCluster>> connect(const RbdSettings& settings);
  // One connection per (conf, id, keyring) in this process, made on first use: every
  // Storage object of a daemon shares it instead of paying a monitor handshake per request.
  static util::Result<std::shared_ptr<RbdCluster>> shared(const RbdSettings& settings);

  RbdCluster(const RbdCluster&) = delete;
  RbdCluster& operator=(const RbdCluster&) = delete;
  ~RbdCluster();

  const RbdSettings& settings() const { return settings_; }
  // `mon host` as the client resolved it ("[v2:127.0.0.1:3300,v1:127.0.0.1:6789]").
  std::string monHost();

  // An I/O context on Ceph pool `pool`; NotFound names the pool when it does not exist.
  util::Result<librados::IoCtx> ioctx(const std::string& pool);
  util::Result<RbdPoolUsage> usage(const std::string& pool);
  // nullopt when the client does not use cephx (auth_client_required has no "cephx", or allows
  // "none" and no key for this client exists). The key comes from the configuration (`key`,
  // `keyfile`, the `keyring` files), else from the monitors (`auth get-key`).
  util::Result<std::optional<CephxKey>> cephxKey();

 private:
  explicit RbdCluster(RbdSettings settings);

  RbdSettings settings_;
  librados::Rados rados_;
  bool connected_ = false;
};

}  // namespace univirt::sdsctl
