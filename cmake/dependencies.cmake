# Every third-party dependency, found the standard way for Debian 12's packages.
# The Debian package names live in installer/deps/debian-build.txt.

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBVIRT REQUIRED IMPORTED_TARGET libvirt>=9.0)
pkg_check_modules(LIBVIRT_QEMU REQUIRED IMPORTED_TARGET libvirt-qemu>=9.0)

find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Net NetSSL Util Crypto)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(prometheus-cpp REQUIRED)  # Debian 1.0.1 ships no version file
find_package(fmt 9 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(pugixml 1.13 REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(yaml-cpp REQUIRED)

find_package(Ceph REQUIRED)  # cmake/FindCeph.cmake: Ceph::rados, Ceph::radospp, Ceph::rbd

if(UNIVIRT_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(UNIVIRT_BUILD_BENCH)
  find_package(benchmark 1.7 REQUIRED)
endif()
