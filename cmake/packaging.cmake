# Packaging: install() rules for everything univirt ships, man pages generated from each
# binary's --help, and CPack producing .deb and .rpm packages from that one install tree.
#
#   cmake --build <build dir> --target package    # or: cd <build dir> && cpack -G "DEB;RPM"
#
# Packages (one CPack component each; a package whose files do not exist yet is not built):
#   univirt-daemons    the node daemons (virtctl, virtlet, libvirtwatcher, virtmonitor), the
#                      operator CLIs (sdsctl, ovnctl), their systemd units and /etc/univirt
#   univirt-kube-lite  the single-node Kubernetes-API-compatible server and its unit
#   univirt-ansible    the playbooks, roles and the rendered cluster manifests (architecture all)
#   univirt-offline    the offline bundle builder (once offline-bundle/ exists)
# The install rules are guarded with if(TARGET ...) so a daemon added later is packaged as soon
# as its target exists. Maintainer scripts, descriptions and lint overrides live in debian/
# and rpmspecs/; units and their environment files in installer/systemd/. docs/packaging.md
# explains the layout.
#
# Script mode prints the package version for a release version, so tests can check ordering:
#   cmake -DUNIVIRT_VERSION=1.0.3.lab -P cmake/packaging.cmake   ->   1.0.3+lab

# v<maj>.<min>.<patch>[.<env>] -> a version dpkg and rpm both accept and sort the same way.
# The environment tag is a local build of the same release, so it follows '+' (after the plain
# release, before the next patch level). A '-suffix' is a pre-release and becomes '~suffix'
# (before the plain release). Other characters neither format allows become '.'.
function(univirt_package_version release_version out_var)
  set(v "${release_version}")
  string(REGEX REPLACE "^v" "" v "${v}")
  if(v MATCHES "^([0-9]+\\.[0-9]+\\.[0-9]+)(.*)$")
    set(base "${CMAKE_MATCH_1}")
    set(rest "${CMAKE_MATCH_2}")
  else()
    message(FATAL_ERROR "release version '${release_version}' is not v<major>.<minor>.<patch>"
                        "[.<env>]; tag the commit like v1.0.3.lab")
  endif()
  string(REGEX REPLACE "^\\.([A-Za-z][A-Za-z0-9]*)" "+\\1" rest "${rest}")
  string(REGEX REPLACE "^-" "~" rest "${rest}")
  string(REGEX REPLACE "[^A-Za-z0-9.+~]" "." rest "${rest}")
  set(${out_var} "${base}${rest}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  univirt_package_version("${UNIVIRT_VERSION}" _v)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E echo "${_v}")
  return()
endif()

include(GNUInstallDirs)

set(_pkg_src "${PROJECT_SOURCE_DIR}")
set(_pkg_gen "${PROJECT_BINARY_DIR}/packaging")
set(UNIVIRT_UNIT_DIR "lib/systemd/system" CACHE STRING
    "systemd system unit directory, relative to the install prefix (/usr)")
set(UNIVIRT_SHARE_DIR "${CMAKE_INSTALL_DATADIR}/univirt")
set(UNIVIRT_SYSCONF_DIR "/etc/univirt")
univirt_package_version("${UNIVIRT_VERSION}" UNIVIRT_PACKAGE_VERSION)
# Reproducible: dates (changelogs, man pages, package timestamps) are the commit's.
if(NOT DEFINED UNIVIRT_SOURCE_DATE_EPOCH)
  set(UNIVIRT_SOURCE_DATE_EPOCH "$ENV{SOURCE_DATE_EPOCH}")
  if(NOT UNIVIRT_SOURCE_DATE_EPOCH AND GIT_FOUND AND EXISTS "${_pkg_src}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" log -1 --format=%ct
                    WORKING_DIRECTORY "${_pkg_src}" OUTPUT_VARIABLE UNIVIRT_SOURCE_DATE_EPOCH
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  if(NOT UNIVIRT_SOURCE_DATE_EPOCH)
    set(UNIVIRT_SOURCE_DATE_EPOCH 0)
  endif()
endif()

# ---- binaries: target, component, man section, one-line description ---------------------
# Development tools (univirt-crdgen, univirt-kubectl-get) are not shipped.
set(_univirt_shipped
    "univirt-virtctl|daemons|8|execute the lifecycle requests of univirt custom resources"
    "univirt-virtlet|daemons|8|report node resources, storage and GPUs to Kubernetes"
    "univirt-libvirtwatcher|daemons|8|mirror libvirt domain events into VirtualMachine status"
    "univirt-virtmonitor|daemons|8|serve libvirt domain statistics as Prometheus metrics"
    "univirt-sdsctl|daemons|1|operate univirt storage pools and volumes"
    "univirt-ovnctl|daemons|1|operate univirt OVN networks"
    "univirt-kube-lite|kube-lite|8|single-node Kubernetes-API-compatible server")
set(_univirt_daemon_units virtctl virtlet libvirtwatcher virtmonitor)

find_program(HELP2MAN_EXECUTABLE help2man)
find_program(GZIP_EXECUTABLE gzip)
set(_man_outputs)
set(UNIVIRT_PACKAGED_TARGETS)
foreach(entry IN LISTS _univirt_shipped)
  string(REPLACE "|" ";" fields "${entry}")
  list(GET fields 0 tgt)
  list(GET fields 1 comp)
  list(GET fields 2 section)
  list(GET fields 3 summary)
  if(NOT TARGET ${tgt})
    continue()
  endif()
  list(APPEND UNIVIRT_PACKAGED_TARGETS ${tgt})
  install(TARGETS ${tgt} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${comp})
  if(HELP2MAN_EXECUTABLE AND GZIP_EXECUTABLE)
    set(man "${_pkg_gen}/man/${tgt}.${section}")
    # --version-string: the version comes from the build, and not every binary has --version.
    add_custom_command(
      OUTPUT "${man}.gz"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${_pkg_gen}/man"
      COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C.UTF-8 "SOURCE_DATE_EPOCH=${UNIVIRT_SOURCE_DATE_EPOCH}"
              "${HELP2MAN_EXECUTABLE}" --no-info --no-discard-stderr "--section=${section}"
              "--name=${summary}" "--version-string=${UNIVIRT_VERSION}"
              "--source=univirt ${UNIVIRT_VERSION}" --manual=univirt "--output=${man}"
              "$<TARGET_FILE:${tgt}>"
      COMMAND "${GZIP_EXECUTABLE}" -9nf "${man}"
      DEPENDS ${tgt}
      COMMENT "help2man ${tgt}.${section}"
      VERBATIM)
    list(APPEND _man_outputs "${man}.gz")
    install(FILES "${man}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}" COMPONENT ${comp})
  endif()
endforeach()
# The offline tools are scripts: their man pages come from --help the same way.
if(EXISTS "${_pkg_src}/offline-bundle" AND HELP2MAN_EXECUTABLE AND GZIP_EXECUTABLE)
  foreach(entry
      "univirt-bundle|offline-bundle/univirt-bundle|1|create, verify and push univirt offline bundles"
      "univirt-offline-install|installer/univirt-offline-install|8|install univirt from an offline bundle")
    string(REPLACE "|" ";" fields "${entry}")
    list(GET fields 0 name)
    list(GET fields 1 script)
    list(GET fields 2 section)
    list(GET fields 3 summary)
    set(man "${_pkg_gen}/man/${name}.${section}")
    add_custom_command(
      OUTPUT "${man}.gz"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${_pkg_gen}/man"
      COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C.UTF-8 "SOURCE_DATE_EPOCH=${UNIVIRT_SOURCE_DATE_EPOCH}"
              "${HELP2MAN_EXECUTABLE}" --no-info --no-discard-stderr "--section=${section}"
              "--name=${summary}" "--version-string=${UNIVIRT_VERSION}"
              "--source=univirt ${UNIVIRT_VERSION}" --manual=univirt "--output=${man}"
              "${_pkg_src}/${script}"
      COMMAND "${GZIP_EXECUTABLE}" -9nf "${man}"
      DEPENDS "${_pkg_src}/${script}"
      COMMENT "help2man ${name}.${section}"
      VERBATIM)
    list(APPEND _man_outputs "${man}.gz")
    install(FILES "${man}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}" COMPONENT offline)
  endforeach()
endif()
if(_man_outputs)
  # Not in ALL: man pages run every binary, so only packaging builds them.
  add_custom_target(univirt-manpages DEPENDS ${_man_outputs})
elseif(NOT HELP2MAN_EXECUTABLE)
  message(STATUS "help2man not found: packages are built without man pages "
                 "(apt-get install help2man)")
endif()

# ---- systemd units, their environment files, configuration --------------------------------
set(_unit_src "${_pkg_src}/installer/systemd")
foreach(daemon IN LISTS _univirt_daemon_units)
  if(TARGET univirt-${daemon})
    install(FILES "${_unit_src}/univirt-${daemon}.service" DESTINATION "${UNIVIRT_UNIT_DIR}"
            COMPONENT daemons)
    install(FILES "${_unit_src}/${daemon}.env" DESTINATION "${UNIVIRT_SYSCONF_DIR}"
            COMPONENT daemons)
  endif()
endforeach()
if(TARGET univirt-kube-lite)
  install(FILES "${_unit_src}/univirt-kube-lite.service" DESTINATION "${UNIVIRT_UNIT_DIR}"
          COMPONENT kube-lite)
  install(FILES "${_unit_src}/kube-lite.env" DESTINATION "${UNIVIRT_SYSCONF_DIR}"
          COMPONENT kube-lite)
endif()
install(FILES "${_unit_src}/univirt.conf" DESTINATION "${UNIVIRT_SYSCONF_DIR}" COMPONENT daemons)
install(FILES "${_unit_src}/univirt-tmpfiles.conf" DESTINATION "lib/tmpfiles.d"
        RENAME univirt.conf COMPONENT daemons)
install(DIRECTORY "${_pkg_src}/daemons/crds/" DESTINATION "${UNIVIRT_SHARE_DIR}/crds"
        COMPONENT daemons FILES_MATCHING PATTERN "*.yaml")

# ---- ansible, manifests, offline bundle ----------------------------------------------------
if(EXISTS "${_pkg_src}/ansible")
  install(DIRECTORY "${_pkg_src}/ansible/" DESTINATION "${UNIVIRT_SHARE_DIR}/ansible"
          COMPONENT ansible PATTERN "__pycache__" EXCLUDE PATTERN "*.retry" EXCLUDE
          REGEX "/\\.[^/]*$" EXCLUDE)  # developer dotfiles (.ansible-lint, ...)
endif()
if(EXISTS "${_pkg_src}/offline-bundle")
  # univirt-bundle finds the Ansible tree (univirt-ansible) and the docs next to its own folder,
  # univirt-offline-install its shell libraries and univirt-bundle the same way.
  install(DIRECTORY "${_pkg_src}/offline-bundle/" DESTINATION "${UNIVIRT_SHARE_DIR}/offline-bundle"
          COMPONENT offline USE_SOURCE_PERMISSIONS PATTERN "__pycache__" EXCLUDE)
  install(PROGRAMS "${_pkg_src}/installer/univirt-offline-install"
                   "${_pkg_src}/installer/offline-repo-server"
          DESTINATION "${UNIVIRT_SHARE_DIR}/installer" COMPONENT offline)
  install(FILES "${_pkg_src}/installer/lib/processes.sh" "${_pkg_src}/installer/lib/offline_serve.sh"
                "${_pkg_src}/installer/lib/offline_nodes.sh"
                "${_pkg_src}/installer/lib/offline_registry_mirror.yml"
          DESTINATION "${UNIVIRT_SHARE_DIR}/installer/lib" COMPONENT offline)
  install(DIRECTORY "${_pkg_src}/docs/" DESTINATION "${UNIVIRT_SHARE_DIR}/docs" COMPONENT offline
          FILES_MATCHING PATTERN "*.md" PATTERN "dev" EXCLUDE PATTERN "adr" EXCLUDE)
  file(MAKE_DIRECTORY "${_pkg_gen}/links")
  file(CREATE_LINK "../share/univirt/offline-bundle/univirt-bundle"
       "${_pkg_gen}/links/univirt-bundle" SYMBOLIC)
  file(CREATE_LINK "../share/univirt/installer/univirt-offline-install"
       "${_pkg_gen}/links/univirt-offline-install" SYMBOLIC)
  install(FILES "${_pkg_gen}/links/univirt-bundle" DESTINATION "${CMAKE_INSTALL_BINDIR}"
          COMPONENT offline)
  install(FILES "${_pkg_gen}/links/univirt-offline-install" DESTINATION "${CMAKE_INSTALL_SBINDIR}"
          COMPONENT offline)
endif()

# ---- per-package documentation: copyright and changelog -----------------------------------
execute_process(COMMAND date -u -R -d "@${UNIVIRT_SOURCE_DATE_EPOCH}"
                OUTPUT_VARIABLE UNIVIRT_CHANGELOG_DATE OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND date -u "+%a %b %d %Y" -d "@${UNIVIRT_SOURCE_DATE_EPOCH}"
                OUTPUT_VARIABLE UNIVIRT_RPM_CHANGELOG_DATE OUTPUT_STRIP_TRAILING_WHITESPACE)
set(UNIVIRT_MAINTAINER "univirt developers <dev@univirt.invalid>")
set(UNIVIRT_DEB_REVISION 1)

# Only packages with something in them are built.
set(_univirt_components daemons)
if(TARGET univirt-kube-lite)
  list(APPEND _univirt_components kube-lite)
endif()
if(EXISTS "${_pkg_src}/ansible")
  list(APPEND _univirt_components ansible)
endif()
if(EXISTS "${_pkg_src}/offline-bundle")
  list(APPEND _univirt_components offline)
endif()
foreach(comp IN LISTS _univirt_components)
  set(UNIVIRT_PACKAGE_NAME "univirt-${comp}")
  set(doc_dir "${_pkg_gen}/doc/univirt-${comp}")
  configure_file("${_pkg_src}/debian/changelog.in" "${doc_dir}/changelog.Debian" @ONLY)
  execute_process(COMMAND "${GZIP_EXECUTABLE}" -9nf "${doc_dir}/changelog.Debian")
  install(FILES "${_pkg_src}/debian/copyright" "${doc_dir}/changelog.Debian.gz"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/univirt-${comp}" COMPONENT ${comp})
  if(EXISTS "${_pkg_src}/debian/univirt-${comp}.lintian-overrides")
    install(FILES "${_pkg_src}/debian/univirt-${comp}.lintian-overrides"
            DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides" RENAME "univirt-${comp}"
            COMPONENT ${comp})
  endif()
endforeach()
install(FILES "${_pkg_src}/docs/packaging.md" "${_pkg_src}/docs/compat.md"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/univirt-daemons" COMPONENT daemons OPTIONAL)
configure_file("${_pkg_src}/rpmspecs/changelog.in" "${_pkg_gen}/rpm-changelog" @ONLY)

# ---- CPack: common -------------------------------------------------------------------------
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PACKAGE_NAME "univirt")
set(CPACK_PACKAGE_VENDOR "univirt")
set(CPACK_PACKAGE_CONTACT "${UNIVIRT_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${UNIVIRT_PACKAGE_VERSION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_STRIP_FILES ON)
set(CPACK_THREADS 2)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)  # no groups: one package per component
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)

# Summaries and descriptions: debian/univirt-<comp>.description, first line = summary.
foreach(comp IN LISTS _univirt_components)
  string(TOUPPER "${comp}" COMP)  # CPack spells component variables in upper case, '-' kept
  file(STRINGS "${_pkg_src}/debian/univirt-${comp}.description" desc_lines)
  list(POP_FRONT desc_lines summary)
  list(JOIN desc_lines "\n" desc_body)
  set(CPACK_COMPONENT_${COMP}_DISPLAY_NAME "univirt-${comp}")
  set(CPACK_COMPONENT_${COMP}_DESCRIPTION "${summary}\n${desc_body}")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_NAME "univirt-${comp}")
  set(CPACK_DEBIAN_${COMP}_DESCRIPTION "${summary}\n${desc_body}")
  set(CPACK_RPM_${COMP}_PACKAGE_NAME "univirt-${comp}")
  string(SUBSTRING "${summary}" 0 1 first)  # rpm wants a capitalized summary, Debian not
  string(SUBSTRING "${summary}" 1 -1 rest)
  string(TOUPPER "${first}" first)
  set(CPACK_RPM_${COMP}_PACKAGE_SUMMARY "${first}${rest}")
  set(CPACK_RPM_${COMP}_PACKAGE_DESCRIPTION "${desc_body}")
  set(CPACK_RPM_${COMP}_FILE_NAME "RPM-DEFAULT")
endforeach()

# ---- CPack: DEB ----------------------------------------------------------------------------
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_RELEASE "${UNIVIRT_DEB_REVISION}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${UNIVIRT_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends with versions from dpkg-shlibdeps
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
set(CPACK_DEBIAN_DAEMONS_PACKAGE_RECOMMENDS "libvirt-daemon-system")
set(CPACK_DEBIAN_DAEMONS_PACKAGE_SUGGESTS "univirt-kube-lite, univirt-ansible")
set(CPACK_DEBIAN_ANSIBLE_PACKAGE_ARCHITECTURE "all")
set(CPACK_DEBIAN_ANSIBLE_PACKAGE_DEPENDS "ansible-core (>= 2.14) | ansible (>= 2.10)")
set(CPACK_DEBIAN_OFFLINE_PACKAGE_ARCHITECTURE "all")
set(CPACK_DEBIAN_OFFLINE_PACKAGE_DEPENDS
    "univirt-ansible (= ${UNIVIRT_PACKAGE_VERSION}-${UNIVIRT_DEB_REVISION}), python3, python3-yaml, minisign")
# create: repositories; serve mode of univirt-offline-install: the registry.
set(CPACK_DEBIAN_OFFLINE_PACKAGE_RECOMMENDS "reprepro, createrepo-c, gpg, docker-registry")

# Maintainer scripts and conffiles, generated per package from debian/{postinst,prerm,postrm}.in
# with the package's units (debhelper's systemd snippets, written out: CPack has no dh).
foreach(comp IN LISTS _univirt_components)
  if(NOT comp MATCHES "^(daemons|kube-lite)$")
    continue()
  endif()
  string(TOUPPER "${comp}" COMP)
  set(UNIVIRT_UNITS)
  set(conffiles)
  if(comp STREQUAL "daemons")
    foreach(daemon IN LISTS _univirt_daemon_units)
      if(TARGET univirt-${daemon})
        list(APPEND UNIVIRT_UNITS "univirt-${daemon}.service")
        list(APPEND conffiles "${UNIVIRT_SYSCONF_DIR}/${daemon}.env")
      endif()
    endforeach()
    list(APPEND conffiles "${UNIVIRT_SYSCONF_DIR}/univirt.conf")
    set(UNIVIRT_PURGE_PATHS "/run/univirt")
  else()
    set(UNIVIRT_UNITS "univirt-kube-lite.service")
    list(APPEND conffiles "${UNIVIRT_SYSCONF_DIR}/kube-lite.env")
    set(UNIVIRT_PURGE_PATHS
        "/var/lib/univirt-kube-lite /var/lib/private/univirt-kube-lite")
  endif()
  list(JOIN UNIVIRT_UNITS " " UNIVIRT_UNITS)
  set(out "${_pkg_gen}/deb/univirt-${comp}")
  foreach(script postinst prerm postrm)
    configure_file("${_pkg_src}/debian/${script}.in" "${out}/${script}" @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                   GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  list(JOIN conffiles "\n" conffiles)
  file(WRITE "${out}/conffiles" "${conffiles}\n")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA
      "${out}/conffiles;${out}/postinst;${out}/prerm;${out}/postrm")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_STRICT_PERMISSION ON)

  # ---- the same for RPM: scriptlets with the %systemd_* macros ----
  foreach(script post preun postun)
    configure_file("${_pkg_src}/rpmspecs/${script}.in" "${_pkg_gen}/rpm/univirt-${comp}/${script}"
                   @ONLY)
  endforeach()
  set(CPACK_RPM_${COMP}_POST_INSTALL_SCRIPT_FILE "${_pkg_gen}/rpm/univirt-${comp}/post")
  set(CPACK_RPM_${COMP}_PRE_UNINSTALL_SCRIPT_FILE "${_pkg_gen}/rpm/univirt-${comp}/preun")
  set(CPACK_RPM_${COMP}_POST_UNINSTALL_SCRIPT_FILE "${_pkg_gen}/rpm/univirt-${comp}/postun")
  string(REPLACE "\n" ";" conffile_list "${conffiles}")
  list(TRANSFORM conffile_list PREPEND "%config(noreplace) ")
  set(CPACK_RPM_${COMP}_USER_FILELIST ${conffile_list})
endforeach()

# ---- CPack: RPM ----------------------------------------------------------------------------
set(CPACK_RPM_PACKAGE_RELEASE "1")
set(CPACK_RPM_PACKAGE_RELEASE_DIST ON)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)  # FHS paths (/etc, /usr/lib/systemd) do not move
set(CPACK_RPM_CHANGELOG_FILE "${_pkg_gen}/rpm-changelog")
set(CPACK_RPM_COMPRESSION_TYPE "xz")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)  # library sonames from the binaries
set(CPACK_RPM_PACKAGE_AUTOPROV OFF)
# The systemd scriptlet macros come from systemd-rpm-macros on EL; define the same commands
# when the build host (Debian's rpm) has none, so the scriptlets are real either way.
file(READ "${_pkg_src}/rpmspecs/systemd-macros.spec" CPACK_RPM_SPEC_MORE_DEFINE)
string(APPEND CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${UNIVIRT_MAINTAINER}\n")
# Reproducible .rpm: rpm 4.18 leaves these off, so without them every build stamps its own
# build time and host and the files' staging dates (CPack DEB uses SOURCE_DATE_EPOCH itself).
string(APPEND CPACK_RPM_SPEC_MORE_DEFINE "%define clamp_mtime_to_source_date_epoch 1\n"
       "%define use_source_date_epoch_as_buildtime 1\n" "%define _buildhost univirt-build\n")
set(CPACK_RPM_DAEMONS_PACKAGE_REQUIRES "libvirt-libs >= 9.0")
set(CPACK_RPM_DAEMONS_PACKAGE_REQUIRES_POST "systemd")
set(CPACK_RPM_DAEMONS_PACKAGE_REQUIRES_PREUN "systemd")
set(CPACK_RPM_DAEMONS_PACKAGE_REQUIRES_POSTUN "systemd")
set(CPACK_RPM_KUBE-LITE_PACKAGE_REQUIRES_POST "systemd")
set(CPACK_RPM_KUBE-LITE_PACKAGE_REQUIRES_PREUN "systemd")
set(CPACK_RPM_KUBE-LITE_PACKAGE_REQUIRES_POSTUN "systemd")
set(CPACK_RPM_ANSIBLE_PACKAGE_ARCHITECTURE "noarch")
set(CPACK_RPM_ANSIBLE_PACKAGE_REQUIRES "ansible-core >= 2.14")
set(CPACK_RPM_OFFLINE_PACKAGE_ARCHITECTURE "noarch")
set(CPACK_RPM_OFFLINE_PACKAGE_REQUIRES "python3, python3-pyyaml, minisign")
# Directories owned by the filesystem and systemd packages, never by ours.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc /usr/sbin /usr/lib/systemd /usr/lib/systemd/system /usr/lib/tmpfiles.d /usr/share/man
    /usr/share/man/man1 /usr/share/man/man8 /usr/share/doc /usr/share/lintian
    /usr/share/lintian/overrides)

include(CPack)

# One target builds the man pages and then both package formats.
add_custom_target(packages
  COMMAND "${CMAKE_COMMAND}" -E env "SOURCE_DATE_EPOCH=${UNIVIRT_SOURCE_DATE_EPOCH}"
          "${CMAKE_CPACK_COMMAND}" --config "${PROJECT_BINARY_DIR}/CPackConfig.cmake" -G "DEB;RPM"
  WORKING_DIRECTORY "${PROJECT_BINARY_DIR}"
  COMMENT "cpack: .deb and .rpm into ${CPACK_PACKAGE_DIRECTORY}"
  VERBATIM USES_TERMINAL)
if(TARGET univirt-manpages)
  add_dependencies(packages univirt-manpages)
endif()
if(UNIVIRT_PACKAGED_TARGETS)
  add_dependencies(packages ${UNIVIRT_PACKAGED_TARGETS})
endif()
