#pragma once

// How sdsctl reaches the Ceph cluster of cephrbd pools (kept apart from rbd_cluster.h so that
// storage.h does not pull librados headers into every user of the library).

#include <string>

namespace univirt::sdsctl {

struct RbdSettings {
  // The cluster: ceph.conf (mon host …) and, when auth is on, a keyring for client.<id>.
  std::string conf = "/etc/ceph/ceph.conf";
  std::string client_id = "admin";
  std::string keyring = {};  // empty: what ceph.conf says (or none with auth off)
  // Monitor and OSD operation timeout: a gone cluster fails a request instead of hanging it.
  int timeout_seconds = 30;
  std::string qemu_img = "/usr/bin/qemu-img";  // imports of image files into RBD images
};

}  // namespace univirt::sdsctl
