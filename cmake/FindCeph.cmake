# Debian ships librados/librbd without pkg-config or CMake files, so find them by hand.
# The C++ API of librados (rados/librados.hpp) comes from libradospp-dev.
# Provides: Ceph::rados (C), Ceph::radospp (C++), Ceph::rbd (C).

find_path(CEPH_RADOS_INCLUDE_DIR rados/librados.h)
find_path(CEPH_RADOSPP_INCLUDE_DIR rados/librados.hpp)
find_path(CEPH_RBD_INCLUDE_DIR rbd/librbd.h)
find_library(CEPH_RADOS_LIBRARY rados)
find_library(CEPH_RBD_LIBRARY rbd)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Ceph
  REQUIRED_VARS CEPH_RADOS_LIBRARY CEPH_RBD_LIBRARY CEPH_RADOS_INCLUDE_DIR
                CEPH_RADOSPP_INCLUDE_DIR CEPH_RBD_INCLUDE_DIR)

if(Ceph_FOUND AND NOT TARGET Ceph::rados)
  add_library(Ceph::rados UNKNOWN IMPORTED)
  set_target_properties(Ceph::rados PROPERTIES
    IMPORTED_LOCATION "${CEPH_RADOS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CEPH_RADOS_INCLUDE_DIR}")
  add_library(Ceph::radospp INTERFACE IMPORTED)
  set_target_properties(Ceph::radospp PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CEPH_RADOSPP_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Ceph::rados)
  add_library(Ceph::rbd UNKNOWN IMPORTED)
  set_target_properties(Ceph::rbd PROPERTIES
    IMPORTED_LOCATION "${CEPH_RBD_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CEPH_RBD_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Ceph::rados)
endif()
mark_as_advanced(CEPH_RADOS_INCLUDE_DIR CEPH_RADOSPP_INCLUDE_DIR CEPH_RBD_INCLUDE_DIR
                 CEPH_RADOS_LIBRARY CEPH_RBD_LIBRARY)
