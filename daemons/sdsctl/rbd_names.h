#pragma once

// Names and locations of Ceph RBD storage as sdsctl accepts them. Everything a request names
// (a Ceph pool, an image, a snapshot) is checked here before librbd sees it, so a name can
// never select another pool, a snapshot of another image or a RADOS namespace by accident:
//  * Ceph pool and RBD image/snapshot names: 1–96 characters of [A-Za-z0-9_.-], not starting
//    with '.' or '-' (no '/', '@', ':' or whitespace, which librbd and QEMU's rbd: syntax treat
//    as separators);
//  * a cephrbd pool's url is `rbd:<cephpool>` (or upstream's form: a directory path, with the
//    Ceph pool in `source-name`);
//  * an image spec is `<cephpool>/<image>[@<snapshot>]`, optionally prefixed with `rbd:`.

#include <string>
#include <string_view>

#include "core/util/result.h"

namespace univirt::sdsctl {

inline constexpr std::size_t kMaxRbdNameLength = 96;

// InvalidArgument naming `what` ("Ceph pool", "RBD image", "snapshot") unless `name` is valid.
util::Status checkRbdName(std::string_view name, std::string_view what);

// The Ceph pool behind a cephrbd VirtualMachinePool: `url` = `rbd:<cephpool>` (then
// `source_name`, when given, must agree), or upstream's directory url with `source_name`
// naming the Ceph pool.
util::Result<std::string> parseRbdPoolUrl(std::string_view url, std::string_view source_name);

struct RbdImageRef {
  std::string pool = {};
  std::string image = {};
  std::string snapshot = {};  // empty: the image's head

  // `<pool>/<image>[@<snapshot>]`, what libvirt and .spec.volume.current show.
  std::string spec() const;
};

// True when `text` looks like an image spec rather than a file path (`rbd:` prefix, or no
// leading '/' and exactly one '/').
bool looksLikeRbdSpec(std::string_view text);
util::Result<RbdImageRef> parseRbdImageSpec(std::string_view text);

}  // namespace univirt::sdsctl
